//! The redis.conf parser on the corpus's Redis files (Redis's own self-documented
//! redis.conf and test configs, repeated to 4 MB): the goal is at least 100 MB/s on one core.
//!
//! `cargo bench -p stacklint_syntax --bench redis` (corpus at `STACKLINT_CORPUS`, default
//! `../shared/corpus`).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The allocator of the shipped binary (crates/stacklint/src/main.rs): parsing allocates
// per directive, and the system allocator would measure glibc rather than the parser.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus_text() -> String {
    let root = std::env::var_os("STACKLINT_CORPUS").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"), PathBuf::from);
    let mut text = String::new();
    for dir in ["redis", "peer-suites/redis"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir)).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "conf")).collect();
        files.sort();
        for f in files {
            if let Ok(t) = std::fs::read_to_string(&f) {
                text.push_str(&t);
                text.push('\n');
            }
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    let one = corpus_text();
    if one.is_empty() {
        eprintln!("SKIPPED: corpus not found");
        return;
    }
    let text = one.repeat((4 << 20) / one.len() + 1);
    let mut g = c.benchmark_group("redis.conf");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("parse, one thread", |b| b.iter(|| stacklint_syntax::redis::parse(&text).tree.lines.len()));
    g.finish();
    // The directives alone (no comments, no blank lines): the worst case for allocation.
    let mut directives = String::new();
    for l in one.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        directives.push_str(l);
        directives.push('\n');
    }
    let dense = directives.repeat((4 << 20) / directives.len().max(1) + 1);
    let mut g = c.benchmark_group("redis.conf directives only");
    g.throughput(Throughput::Bytes(dense.len() as u64));
    g.sample_size(20);
    g.bench_function("parse, one thread", |b| b.iter(|| stacklint_syntax::redis::parse(&dense).tree.lines.len()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
