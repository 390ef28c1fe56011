# SPDX-License-Identifier: MIT
# Perl ithreads for tests/real/run.sh: four workers take numbers from a
# Thread::Queue (a mutex and a condition inside perl), add their sums of
# squares into a shared hash under lock(), and count each one done under a
# lock the main thread waits on with cond_wait. Prints the sums, which do
# not depend on the interleaving.
use strict;
use warnings;
use threads;
use threads::shared;
use Thread::Queue;

my $n = 8000;
my $q = Thread::Queue->new();
my %sum :shared;
my $done :shared = 0;
my @workers = map {
    threads->create(sub {
        while (defined(my $k = $q->dequeue())) {
            my $s = 0;
            $s += $_ * $_ for 1 .. $k;
            { lock(%sum); $sum{$k % 17} = ($sum{$k % 17} // 0) + $s; }
            { lock($done); $done++; cond_signal($done); }
        }
    })
} 1 .. 4;
$q->enqueue($_) for 1 .. $n;
{ lock($done); cond_wait($done) while $done < $n; }
$q->end();
$_->join() for @workers;
print "$_ $sum{$_}\n" for sort { $a <=> $b } keys %sum;
print "done $done\n";
