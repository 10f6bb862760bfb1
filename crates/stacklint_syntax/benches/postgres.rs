//! The postgresql.conf parser on the corpus's PostgreSQL files (and PostgreSQL's own
//! `postgresql.conf.sample`), concatenated into one text: the target is >= 100 MB/s on one core.
//!
//! `cargo bench -p stacklint_syntax --bench postgres` (corpus at `STACKLINT_CORPUS`, default `../shared/corpus`).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The allocator of the shipped binary (crates/stacklint/src/main.rs): parsing allocates
// per directive, and the system allocator would measure glibc rather than the parser.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus_text() -> String {
    let root = std::env::var_os("STACKLINT_CORPUS").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"), PathBuf::from);
    let mut text = String::new();
    for dir in [root.join("postgres"), root.join("peer-suites/postgres")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "conf" || x == "sample")).collect();
        files.sort();
        for p in files {
            if let Ok(t) = std::fs::read_to_string(&p) {
                text.push_str(&t);
                text.push('\n');
            }
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    let text = corpus_text();
    if text.is_empty() {
        eprintln!("SKIPPED: corpus not found");
        return;
    }
    // About 4 MB, so the numbers are not a cache effect of one small file.
    let big = text.repeat((4_000_000 / text.len()).max(1));
    let mut g = c.benchmark_group("postgresql.conf");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(20);
    g.bench_function("parse", |b| b.iter(|| stacklint_syntax::postgres::parse(std::hint::black_box(&big))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
