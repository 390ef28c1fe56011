/* SPDX-License-Identifier: MIT */
/* sqlite_threads: SQLite used from several threads the two ways real
 * programs do, for tests/real/run.sh.
 *
 *   sqlite_threads DBFILE
 *
 * 1. Four threads, each with its own connection to one WAL database,
 *    insert rows in small transactions and read their own totals back
 *    (SQLite's file locks, its busy handler and its shared WAL index).
 * 2. Two threads share one connection opened in serialized mode (SQLite's
 *    own recursive pthread mutexes around every call).
 * Prints the totals, which do not depend on the interleaving; exit status
 * 0 when every statement succeeded. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define WRITERS 4
#define TXNS 60
#define ROWS 20
#define SHARED_ROWS 2000

static const char *path;
static sqlite3 *shared;

static void fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite_threads: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_threads: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

static sqlite3 *open_db(int flags)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | flags, NULL) != SQLITE_OK)
        fail(db, "open");
    sqlite3_busy_timeout(db, 60000);
    exec(db, "PRAGMA synchronous=OFF"); /* the test is about locks, not disks */
    return db;
}

static long long query_int(sqlite3 *db, const char *sql, long long arg)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(db, sql);
    sqlite3_bind_int64(st, 1, arg);
    long long v = -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_BUSY)
        ;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fail(db, sql);
    sqlite3_finalize(st);
    return v;
}

static void *writer(void *arg)
{
    long id = (long)arg;
    sqlite3 *db = open_db(SQLITE_OPEN_NOMUTEX);
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(writer, n) VALUES (?1, ?2)", -1, &ins, NULL) != SQLITE_OK)
        fail(db, "prepare insert");
    for (int t = 0; t < TXNS; t++) {
        exec(db, "BEGIN IMMEDIATE");
        for (int r = 0; r < ROWS; r++) {
            sqlite3_bind_int64(ins, 1, id);
            sqlite3_bind_int64(ins, 2, (long long)t * ROWS + r);
            if (sqlite3_step(ins) != SQLITE_DONE)
                fail(db, "insert");
            sqlite3_reset(ins);
        }
        exec(db, "COMMIT");
        if (query_int(db, "SELECT count(*) FROM t WHERE writer = ?1", id) != (long long)(t + 1) * ROWS)
            fail(db, "own rows missing");
    }
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return NULL;
}

static void *shared_user(void *arg)
{
    long id = (long)arg;
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(shared, "INSERT INTO s(user, n) VALUES (?1, ?2)", -1, &ins, NULL) != SQLITE_OK)
        fail(shared, "prepare shared insert");
    for (int n = 0; n < SHARED_ROWS; n++) {
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, n);
        if (sqlite3_step(ins) != SQLITE_DONE)
            fail(shared, "shared insert");
        sqlite3_reset(ins);
        if (n % 100 == 0)
            query_int(shared, "SELECT count(*) FROM s WHERE user = ?1", id);
    }
    sqlite3_finalize(ins);
    return NULL;
}

static void run(void *(*fn)(void *), int n)
{
    pthread_t t[WRITERS];
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0) {
            perror("sqlite_threads: pthread_create");
            exit(1);
        }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sqlite_threads DBFILE\n");
        return 2;
    }
    path = argv[1];
    if (!sqlite3_threadsafe()) {
        fprintf(stderr, "sqlite_threads: this SQLite was built without threads\n");
        return 1;
    }
    sqlite3 *db = open_db(0);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS s;"
             "CREATE TABLE t(writer INTEGER, n INTEGER);"
             "CREATE TABLE s(user INTEGER, n INTEGER)");
    run(writer, WRITERS);
    printf("separate connections: %lld rows, sum %lld\n",
           query_int(db, "SELECT count(*) FROM t WHERE ?1 = 0", 0),
           query_int(db, "SELECT sum(n) FROM t WHERE ?1 = 0", 0));
    shared = open_db(SQLITE_OPEN_FULLMUTEX);
    run(shared_user, 2);
    sqlite3_close(shared);
    printf("shared connection: %lld rows, sum %lld\n",
           query_int(db, "SELECT count(*) FROM s WHERE ?1 = 0", 0),
           query_int(db, "SELECT sum(n) FROM s WHERE ?1 = 0", 0));
    sqlite3_close(db);
    return 0;
}
