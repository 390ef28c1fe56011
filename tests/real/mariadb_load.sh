#!/bin/sh
# SPDX-License-Identifier: MIT
# A bounded load for a MariaDB server on the socket SOCK, for
# tests/real/run.sh: mariadb-slap's mixed load from 8 connections (its
# timings go to OUT.slap, only its exit status is printed), then 4 clients
# insert 2,000 rows each into one InnoDB table at once. Prints what does
# not depend on the interleaving: the statuses, the row count and sum, and
# CHECK TABLE's verdict.
#
#   sh mariadb_load.sh SOCK SLAP_OUT
set -u
sock=$1 slap_out=$2
mariadb-slap -S "$sock" -uroot --concurrency=8 --iterations=1 --number-of-queries=4000 \
    --auto-generate-sql --auto-generate-sql-load-type=mixed \
    --auto-generate-sql-add-autoincrement --commit=10 > "$slap_out" 2>&1
echo "slap status $?"
mariadb -S "$sock" -uroot -e "create database if not exists t; drop table if exists t.k;
    create table t.k (id int primary key, v int) engine=innodb;" || exit 1
pids=
for c in 1 2 3 4; do
    awk -v c=$c 'BEGIN { for (i = 0; i < 2000; i++)
        printf "insert into t.k values (%d, %d);\n", c * 100000 + i, i % 97 }' |
        mariadb -S "$sock" -uroot &
    pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
echo "inserting clients failed: $failed"
mariadb -S "$sock" -uroot -e "select count(*), sum(v) from t.k; check table t.k;"
