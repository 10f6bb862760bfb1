//! The Python front end on the corpus's Python files (1.17 MB): parsing, and parsing plus
//! settings evaluation, single-threaded and on all cores (rayon), as the engine runs it.
//!
//! `cargo bench -p stacklint_python` (corpus at `STACKLINT_CORPUS`, default `../shared/corpus`).

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use stacklint_python::{Settings, parse};

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

fn corpus_python() -> Vec<(PathBuf, String)> {
    shared_inputs::files_with_extension(&shared_inputs::corpus_dir(), "py")
}

fn bench(c: &mut Criterion) {
    let files = corpus_python();
    if files.is_empty() {
        eprintln!("SKIPPED: corpus not found");
        return;
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut g = c.benchmark_group("python corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("parse, one thread", |b| b.iter(|| files.iter().map(|(_, t)| parse(t).syntax_errors().len()).sum::<usize>()));
    g.bench_function("parse + evaluate, one thread", |b| {
        b.iter(|| files.iter().map(|(p, t)| Settings::evaluate(p, &parse(t)).all().len()).sum::<usize>());
    });
    g.bench_function("parse + evaluate, all cores", |b| {
        b.iter(|| files.par_iter().map(|(p, t)| Settings::evaluate(p, &parse(t)).all().len()).sum::<usize>());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
