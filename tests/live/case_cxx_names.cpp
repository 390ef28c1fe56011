/* SPDX-License-Identifier: MIT */
/* A C++ deadlock over std::mutex, built with -O2: names are demangled (the
 * locks are bank::checking and bank::savings, not _ZN4bank8checkingE), and
 * std::mutex::lock, inlined into the user's function, shows as its own
 * frame above the user's. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].holds[0].lock.name == "bank::checking"
// CHECK: reports[0].threads[*].holds[0].lock.name == "bank::savings"
// CHECK: reports[0].threads[*].waits_for.stack[*].function ~ "std::mutex::lock"
// CHECK: reports[0].threads[*].waits_for.stack[*].function ~ "bank::transfer"
// CHECK: !reports[0].threads[*].waits_for.stack[*].function ~ "_ZN"
// STDERR: 'bank::checking'
#include <pthread.h>

#include <mutex>
#include <thread>

namespace bank {
std::mutex checking, savings;
pthread_barrier_t both_hold;

__attribute__((noinline)) void transfer(std::mutex &from, std::mutex &to)
{
    std::lock_guard<std::mutex> a(from);
    pthread_barrier_wait(&both_hold);
    std::lock_guard<std::mutex> b(to);
}
} // namespace bank

int main()
{
    pthread_barrier_init(&bank::both_hold, nullptr, 2);
    std::thread t([] { bank::transfer(bank::savings, bank::checking); });
    bank::transfer(bank::checking, bank::savings);
    t.join();
    return 0;
}
