/* SPDX-License-Identifier: MIT */
/* test_binary.c: the binary trace format. Round trip of every record kind,
 * truncation at many offsets (a prefix of whole blocks is still read and the
 * damage is reported), a corrupted block (skipped, the rest still read),
 * a wrong version, a failing fd, and prediction over a binary trace.
 * Validation: an empty file, a block whose record count is wrong, a block
 * written twice (in the middle, and the last one) are all reported. Site
 * texts: a site's frames, outermost first, read whole from format 1.1, and
 * a 1.0 trace's one text per site read as before (a later one replaces). */
#include "trace/trace.h"
#include "trace/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tg__cli_predict(int argc, char **argv);

static int failures;
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static char dir[4096];
static int compare_events = 1; /* off where a repeated block shifts the events */

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Event i of the synthetic trace: a deterministic mix of all ops. */
static void synth(uint32_t i, int *op, int *mode, int *flags, uint32_t *th, uint32_t *obj,
                  uint32_t *site, uint32_t *aux)
{
    *op = 1 + (int)(i % (TG_EV__COUNT - 1));
    *mode = *op == TG_EV_ACQUIRE ? (int)(i / 11 % 3) : 0;
    *flags = *op == TG_EV_ACQUIRE ? (int)(i / 7 % 2) : 0;
    *th = i % 5;
    *obj = *op == TG_EV_BEGIN || *op == TG_EV_END ? TG_NO_OBJ
         : *op == TG_EV_FORK || *op == TG_EV_JOIN ? 5 + i % 3 : (i * 2654435761u) % 1000u;
    *site = i % 3 == 0 ? TG_NO_OBJ : i % 50;
    *aux = *op == TG_EV_WAIT ? 1000 + i % 4 : TG_NO_OBJ;
}

static uint32_t write_trace(const char *path, uint32_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static struct tg__trace_writer w;
    CHECK(fd >= 0, "open %s", path);
    CHECK(tg__trace_writer_open(&w, fd) == 0, "header");
    CHECK(tg__trace_writer_thread(&w, 0, "main") == 0, "thread name");
    CHECK(tg__trace_writer_object(&w, 0, TG_OBJ_MUTEX, "big_lock") == 0, "object name");
    uintptr_t pcs[3] = {0x401000, 0x402000, (uintptr_t)-1};
    CHECK(tg__trace_writer_site(&w, 1, pcs, 3) == 0, "site");
    CHECK(tg__trace_writer_site_text(&w, 2, "file.c:12") == 0, "site text");
    for (uint32_t i = 0; i < n; i++) {
        int op, mode, flags;
        uint32_t th, obj, site, aux;
        synth(i, &op, &mode, &flags, &th, &obj, &site, &aux);
        CHECK(tg__trace_writer_event(&w, op, mode, flags, th, obj, site, aux) == 0, "event %u", i);
    }
    CHECK(tg__trace_writer_close(&w) == 0, "close");
    close(fd);
    return n;
}

/* Reads the trace at path; checks events against synth() and returns how
 * many were read. *damaged receives the reader's damage flag. */
static long read_trace(const char *path, int *damaged, char *err, size_t errlen)
{
    char e[600];
    struct tg_trace_reader *r = tg__trace_open(path, e, sizeof e);
    if (!r) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    tg__trace_set_warning_limit(r, 0);
    struct tg_trace_event ev;
    long n = 0;
    uint32_t expect = 0;
    int rc;
    while ((rc = tg__trace_next(r, &ev)) == TG_TRACE_OK) {
        /* Events are compared until damage is seen: a skipped block shifts
         * the numbering, so later events are only counted. */
        int op, mode, flags;
        uint32_t th, obj, site, aux;
        char name[32];
        synth(expect, &op, &mode, &flags, &th, &obj, &site, &aux);
        if (compare_events && !tg__trace_damaged(r)) {
            CHECK(ev.op == op && ev.mode == mode && ev.flags == flags, "event %u op/mode/flags", expect);
            snprintf(name, sizeof name, th == 0 ? "main (T0)" : "T%u", th);
            CHECK(!strcmp(tg__trace_thread_name(r, ev.thread), name), "event %u thread %s vs %s",
                  expect, tg__trace_thread_name(r, ev.thread), name);
            CHECK(ev.site == site && (ev.aux == TG_NO_OBJ) == (aux == TG_NO_OBJ), "event %u site/aux",
                  expect);
            if (obj == 0 && op != TG_EV_FORK && op != TG_EV_JOIN)
                CHECK(!strcmp(tg__trace_object_name(r, ev.obj), "big_lock (L0)"), "object name");
        }
        expect++;
        n++;
    }
    CHECK(rc == TG_TRACE_EOF, "reader error: %s", tg__trace_error(r));
    *damaged = tg__trace_damaged(r);
    snprintf(err, errlen, "%s", tg__trace_error(r));
    if (!*damaged) {
        const uint64_t *pcs;
        CHECK(tg__trace_site_frames(r, 1, &pcs) == 3 && pcs[2] == (uint64_t)(uintptr_t)-1, "site frames in %s", path);
        CHECK(tg__trace_site_text(r, 2) && !strcmp(tg__trace_site_text(r, 2), "file.c:12"), "site text");
    }
    tg__trace_close(r);
    return n;
}

static void copy_prefix(const char *from, const char *to, off_t len, off_t flip)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *buf = malloc((size_t)len + 1);
    CHECK(in >= 0 && out >= 0 && buf, "copy");
    ssize_t k = pread(in, buf, (size_t)len, 0);
    CHECK(k == len, "short read");
    if (flip >= 0 && flip < len)
        buf[flip] ^= 0x5a;
    CHECK(write(out, buf, (size_t)len) == len, "write");
    free(buf);
    close(in);
    close(out);
}

static void test_round_trip(void)
{
    char p[4200], err[600];
    int damaged = 0;
    path_of(p, sizeof p, "round.tgt");
    uint32_t n = write_trace(p, 100000);
    long got = read_trace(p, &damaged, err, sizeof err);
    CHECK(got == (long)n, "read %ld of %u events", got, n);
    CHECK(!damaged, "intact trace reported damaged: %s", err);
}

static void test_truncation(void)
{
    char p[4200], q[4200], err[600];
    path_of(p, sizeof p, "round.tgt");
    path_of(q, sizeof q, "cut.tgt");
    off_t size = lseek(open(p, O_RDONLY), 0, SEEK_END);
    long prev = -1;
    for (off_t len = 0; len < size; len += len < 64 ? 5 : 9973) {
        int damaged = 0;
        if (len < 8)
            continue; /* too short to carry the magic: it would be a text trace */
        copy_prefix(p, q, len, -1);
        long got = read_trace(q, &damaged, err, sizeof err);
        if (len < 16) {
            CHECK(got < 0 && strstr(err, "cut short"), "len %ld: %s", (long)len, err);
            continue;
        }
        CHECK(got >= 0 && damaged, "len %ld: truncation not detected", (long)len);
        CHECK(strstr(err, "cut short") != NULL, "len %ld: message '%s'", (long)len, err);
        CHECK(got >= prev, "len %ld: fewer events (%ld) than a shorter prefix (%ld)", (long)len, got, prev);
        prev = got;
    }
    CHECK(prev > 50000, "a long prefix kept only %ld events", prev);
}

static void test_corruption(void)
{
    char p[4200], q[4200], err[600];
    int damaged = 0;
    path_of(p, sizeof p, "round.tgt");
    path_of(q, sizeof q, "corrupt.tgt");
    int fd = open(p, O_RDONLY);
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    copy_prefix(p, q, size, size / 2);
    long got = read_trace(q, &damaged, err, sizeof err);
    CHECK(damaged && strstr(err, "checksum"), "corruption not reported: %s", err);
    CHECK(got > 80000 && got < 100000, "after skipping one block, read %ld events", got);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char *buf = malloc((size_t)size);
    CHECK(fd >= 0 && buf && pread(fd, buf, (size_t)size, 0) == size, "read %s", path);
    close(fd);
    *len = (size_t)size;
    return buf;
}

static void spit(const char *path, const unsigned char *a, size_t alen, const unsigned char *b,
                 size_t blen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, a, alen) == (ssize_t)alen &&
          (!blen || write(fd, b, blen) == (ssize_t)blen), "write %s", path);
    close(fd);
}

static uint32_t u32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Offsets of the blocks of a trace image (at most max); their number. */
static int blocks_of(const unsigned char *t, size_t len, size_t *off, int max)
{
    int n = 0;
    for (size_t o = TG__FILE_HEADER_LEN; o + TG__BLOCK_HEADER_LEN <= len && n < max;
         o += TG__BLOCK_HEADER_LEN + u32_at(t + o + 4))
        off[n++] = o;
    return n;
}

static void test_validation(void)
{
    char p[4200], q[4200], err[600];
    int damaged = 0;
    path_of(q, sizeof q, "empty.tgt");
    spit(q, (const unsigned char *)"", 0, NULL, 0);
    CHECK(read_trace(q, &damaged, err, sizeof err) < 0 && strstr(err, "empty (0 bytes)"),
          "a 0-byte trace: %s", err);

    path_of(p, sizeof p, "round.tgt");
    size_t len, off[4096];
    unsigned char *t = slurp(p, &len);
    int nb = blocks_of(t, len, off, 4096);
    CHECK(nb > 4, "only %d blocks", nb);

    /* Block 2 announces one record more, with a checksum that matches. */
    unsigned char *h = t + off[1];
    uint32_t want = u32_at(h + 8) + 1, crc;
    h[8] = (unsigned char)want, h[9] = (unsigned char)(want >> 8);
    h[10] = (unsigned char)(want >> 16), h[11] = (unsigned char)(want >> 24);
    crc = tg__block_crc(h, h + TG__BLOCK_HEADER_LEN, u32_at(h + 4));
    h[12] = (unsigned char)crc, h[13] = (unsigned char)(crc >> 8);
    h[14] = (unsigned char)(crc >> 16), h[15] = (unsigned char)(crc >> 24);
    path_of(q, sizeof q, "count.tgt");
    spit(q, t, len, NULL, 0);
    damaged = 0;
    read_trace(q, &damaged, err, sizeof err);
    CHECK(damaged && strstr(err, "records but its header announces"), "record count: %s", err);
    free(t);

    /* Block 3 written twice. */
    t = slurp(p, &len);
    path_of(q, sizeof q, "dup.tgt");
    int fd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(write(fd, t, off[3]) == (ssize_t)off[3] && write(fd, t + off[2], off[3] - off[2]) ==
          (ssize_t)(off[3] - off[2]) && write(fd, t + off[3], len - off[3]) ==
          (ssize_t)(len - off[3]), "write dup");
    close(fd);
    damaged = 0;
    compare_events = 0;
    long got = read_trace(q, &damaged, err, sizeof err);
    CHECK(damaged && strstr(err, "duplicated or missing"), "duplicated block: %s", err);
    CHECK(got > 100000, "a duplicated block's events are read too (%ld)", got);

    /* The last block (with the end marker) written twice. */
    path_of(q, sizeof q, "dup_end.tgt");
    spit(q, t, len, t + off[nb - 1], len - off[nb - 1]);
    damaged = 0;
    read_trace(q, &damaged, err, sizeof err);
    CHECK(damaged && strstr(err, "after the end marker"), "duplicated last block: %s", err);
    compare_events = 1;
    free(t);
}

static void test_version(void)
{
    char p[4200], err[600];
    int damaged = 0;
    path_of(p, sizeof p, "version.tgt");
    FILE *f = fopen(p, "wb");
    fwrite("TANGLETR\x09\x00\x00\x00\x00\x00\x00\x00", 1, 16, f);
    fclose(f);
    CHECK(read_trace(p, &damaged, err, sizeof err) < 0 && strstr(err, "version 9"), "%s", err);
}

/* A block with a valid checksum whose record holds a huge number: the
 * block is reported as malformed and skipped; the next block is read. */
static void test_huge_numbers(void)
{
    char p[4200], err[600];
    path_of(p, sizeof p, "huge.tgt");
    unsigned char f[256] = "TANGLETR\x01\x00\x00\x00\x00\x00\x00\x00";
    size_t len = 16;
    const unsigned char bad[][16] = {
        /* acquire, thread id as an 11-byte varint (more than 64 bits) */
        {0x11, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
        /* acquire by thread 2^30, beyond the id limit */
        {0x11, 0x00, 0x80, 0x80, 0x80, 0x80, 0x04, 0x01, 0x00, 0x00},
        /* a good acquire by thread 1 of lock 0, then the end record */
        {0x11, 0x00, 0x01, 0x01, 0x00, 0x00, 0x05, 0x01},
    };
    const size_t blen[] = {13, 10, 8};
    for (int b = 0; b < 3; b++) {
        unsigned char *h = f + len;
        uint32_t v[3] = {0x314b4c42u, (uint32_t)blen[b], b == 2 ? 2u : 1u};
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 4; k++)
                h[i * 4 + k] = (unsigned char)(v[i] >> (8 * k));
        memcpy(h + 16, bad[b], blen[b]);
        uint32_t crc = tg__block_crc(h, h + 16, blen[b]);
        for (int k = 0; k < 4; k++)
            h[12 + k] = (unsigned char)(crc >> (8 * k));
        len += 16 + blen[b];
    }
    FILE *fp = fopen(p, "wb");
    fwrite(f, 1, len, fp);
    fclose(fp);
    char e[600];
    struct tg_trace_reader *r = tg__trace_open(p, e, sizeof e);
    CHECK(r != NULL, "open: %s", e);
    if (!r)
        return;
    tg__trace_set_warning_limit(r, 0);
    struct tg_trace_event ev;
    int n = 0, rc;
    while ((rc = tg__trace_next(r, &ev)) == TG_TRACE_OK)
        n++;
    snprintf(err, sizeof err, "%s", tg__trace_error(r));
    CHECK(rc == TG_TRACE_EOF && n == 1, "read %d events (rc %d)", n, rc);
    CHECK(tg__trace_damaged(r) == 2, "damage count %d", tg__trace_damaged(r));
    CHECK(strstr(err, "malformed record") && strstr(err, "block 1"), "message: %s", err);
    tg__trace_close(r);
}

static void test_write_error(void)
{
    static struct tg__trace_writer w;
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    int rc = tg__trace_writer_open(&w, fds[1]);
    CHECK(rc == -EPIPE, "write to a closed pipe returned %d", rc);
    CHECK(tg__trace_writer_event(&w, TG_EV_ACQUIRE, 0, 0, 0, 0, TG_NO_OBJ, TG_NO_OBJ) == -EPIPE,
          "the error sticks");
    CHECK(tg__trace_writer_event(&w, 99, 0, 0, 0, 0, 0, 0) == -EINVAL, "bad op rejected");
    close(fds[1]);
}

/* A site with three frames of text, in a trace of minor version `minor`. */
static void test_site_texts(int minor)
{
    char p[4200], err[600];
    static struct tg__trace_writer w;
    path_of(p, sizeof p, "texts.tgt");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    tg__trace_writer_open(&w, fd);
    tg__trace_writer_site_text(&w, 4, "main m.c:30");
    tg__trace_writer_site_text(&w, 4, "save_config m.c:20");
    tg__trace_writer_site_text(&w, 4, "lock_it m.c:10");
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, 0, 0, 0, 0, 4, TG_NO_OBJ);
    tg__trace_writer_close(&w);
    unsigned char v = (unsigned char)minor;
    CHECK(pwrite(fd, &v, 1, 10) == 1, "minor version");
    close(fd);
    struct tg_trace_reader *r = tg__trace_open(p, err, sizeof err);
    CHECK(r != NULL, "%s", err);
    if (!r)
        return;
    struct tg_trace_event ev;
    CHECK(tg__trace_next(r, &ev) == TG_TRACE_OK && ev.site != TG_NO_OBJ, "the event");
    while (tg__trace_next(r, &ev) == TG_TRACE_OK)
        ;
    const char *const *t;
    int n = tg__trace_site_texts(r, ev.site, &t);
    const char *inner = tg__trace_site_text(r, ev.site);
    CHECK(inner && !strcmp(inner, "lock_it m.c:10"), "innermost text of 1.%d: %s", minor, inner);
    if (minor == 0)
        CHECK(n == 1, "a 1.0 site keeps its last text: %d", n);
    else
        CHECK(n == 3 && !strcmp(t[0], "main m.c:30") && !strcmp(t[1], "save_config m.c:20"),
              "a 1.1 site keeps its frames, outermost first: %d", n);
    /* Read again (as reports do): the frames are not doubled. */
    CHECK(tg__trace_rewind(r) == 0, "rewind");
    while (tg__trace_next(r, &ev) == TG_TRACE_OK)
        ;
    CHECK(tg__trace_site_texts(r, ev.site, &t) == n, "texts after a second pass");
    tg__trace_close(r);
}

/* T1 read-locks R then takes M; T2 takes M then write-locks R: predicted.
 * With T2 read-locking R instead, readers share R: silent. */
static int predict_rw(int t2_mode)
{
    char p[4200];
    static struct tg__trace_writer w;
    path_of(p, sizeof p, "rw.tgt");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    tg__trace_writer_open(&w, fd);
    tg__trace_writer_object(&w, 0, TG_OBJ_RWLOCK, "R");
    tg__trace_writer_object(&w, 1, TG_OBJ_MUTEX, "M");
    tg__trace_writer_site_text(&w, 0, "a.c:1");
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, TG_MODE_READ, 0, 1, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, TG_MODE_EXCLUSIVE, 0, 1, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 1, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 1, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, TG_MODE_EXCLUSIVE, 0, 2, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, t2_mode, 0, 2, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 2, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 2, 1, 0, TG_NO_OBJ);
    tg__trace_writer_close(&w);
    close(fd);
    char *argv[] = {"predict", "--quiet", p, NULL};
    return tg__cli_predict(3, argv);
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : ".");
    test_round_trip();
    test_truncation();
    test_corruption();
    test_validation();
    test_version();
    test_site_texts(0);
    test_site_texts(1);
    test_huge_numbers();
    test_write_error();
    int rc = predict_rw(TG_MODE_WRITE);
    CHECK(rc == 66, "read vs write inversion in a binary trace: status %d", rc);
    rc = predict_rw(TG_MODE_READ);
    CHECK(rc == 0, "read vs read in a binary trace: status %d", rc);
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("ok: binary trace format\n");
    return failures != 0;
}
