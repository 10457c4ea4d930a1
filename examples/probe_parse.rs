use np700::number::{SubscriberNumber, parse_dialed};
use std::hint::black_box;
fn main() {
    let callers: Vec<String> = (0..4096u64)
        .map(|i| format!("+86138{:08}", i * 7919 % 100_000_000))
        .collect();
    let dialed: Vec<String> = (0..4096u64)
        .map(|i| format!("+86700{:012}", i * 104729 % 1_000_000_000_000))
        .collect();
    for _ in 0..2 {
        let t = std::time::Instant::now();
        let n = 20_000_000u64;
        for i in 0..n as usize {
            black_box(SubscriberNumber::parse(black_box(&callers[i & 4095]))).ok();
        }
        let a = t.elapsed().as_nanos() as f64 / n as f64;
        let t = std::time::Instant::now();
        for i in 0..n as usize {
            black_box(parse_dialed(black_box(&dialed[i & 4095]))).ok();
        }
        let b = t.elapsed().as_nanos() as f64 / n as f64;
        println!("subscriber parse {a:.1} ns, dialed parse {b:.1} ns");
    }
}
