// SPDX-License-Identifier: MIT
// Two Rust threads take two std::sync::Mutexes in opposite orders and
// deadlock. Rust's std waits on futexes through libc's syscall(), never a
// pthread lock: tangle names no owner, but every thread is blocked and
// none can wake another, a global stall reported with each one's stack.
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

fn main() {
    let a = Arc::new(Mutex::new(0));
    let b = Arc::new(Mutex::new(0));
    let both_hold = Arc::new(Barrier::new(2));
    let (a2, b2, bh2) = (a.clone(), b.clone(), both_hold.clone());
    let t = thread::spawn(move || {
        let _gb = b2.lock().unwrap();
        bh2.wait();
        let _ga = a2.lock().unwrap(); // @rust_wait_a
    });
    let _ga = a.lock().unwrap();
    both_hold.wait();
    let _gb = b.lock().unwrap(); // @rust_wait_b
    drop(_gb);
    drop(_ga);
    t.join().unwrap();
}
