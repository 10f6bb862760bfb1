//! The ORM front end over `corpus/models/*` and every `ecosystem` project's Python files
//! (issue target: under 30% on top of parsing):
//!
//! - `parse`: each Python file through the Python parser alone, one thread;
//! - `orm`: on the project model of those files, already built (not timed), what the ORM
//!   rules read: each file's imports and model/queryset/loop extraction, the model graph,
//!   every query resolved to its model, one thread.
//!
//! The ORM's share is `orm` / `parse`; the bench prints it after criterion's lines, from
//! its own medians.
//!
//! `cargo bench -p stacklint_project --bench orm` (corpus at `STACKLINT_CORPUS`, default
//! `../shared/corpus`; the ecosystem at `<shared>/ecosystem`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use stacklint_project::{Project, ProjectOptions};

#[path = "../../../tests/shared_inputs.rs"]
mod shared_inputs;

/// One project: its Python files, paths relative to its root.
type Sources = Vec<(String, String)>;

fn python_files(root: &Path, under: &Path) -> Sources {
    let files = shared_inputs::files_with_extension(under, "py");
    files.into_iter().map(|(p, text)| (p.strip_prefix(root).unwrap_or(&p).to_string_lossy().into_owned(), text)).collect()
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

/// Each `corpus/models/<app>` (its folder kept: it names the app) and each ecosystem project.
fn projects() -> Vec<Sources> {
    let mut out = Vec::new();
    if let Some(models) = shared_inputs::require(shared_inputs::corpus_dir().join("models"), "the corpus's models") {
        out.extend(subfolders(&models).iter().map(|app| python_files(&models, app)));
    }
    if let Some(eco) = shared_inputs::require(shared_inputs::ecosystem_dir(), "the ecosystem projects") {
        out.extend(subfolders(&eco).iter().map(|p| python_files(p, p)));
    }
    out.retain(|p| !p.is_empty());
    out
}

fn parse_all(projects: &[Sources]) -> usize {
    projects.iter().flatten().map(|(_, t)| stacklint_python::parse(t).syntax_errors().len()).sum()
}

fn build(sources: &Sources) -> Project {
    let refs: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Project::from_sources(ProjectOptions::default(), &refs)
}

/// What the ORM rules read of fresh projects (nothing cached yet): every file's
/// extraction, the graph, every query's model.
fn orm_all(built: &[Project]) -> usize {
    let mut n = 0;
    for project in built {
        let graph = project.models();
        n += graph.models.len();
        for file in &project.files {
            let Some(module) = file.python() else { continue };
            let orm = module.orm();
            n += orm.loops.len();
            n += (0..orm.queries.len()).filter(|&q| graph.query_model(project, file, q).is_some()).count();
        }
    }
    n
}

/// The median time of `f` over 11 runs, each on a fresh `setup()` (not timed).
fn median<S>(setup: impl Fn() -> S, f: impl Fn(&S) -> usize) -> Duration {
    let mut times: Vec<Duration> = (0..11)
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            std::hint::black_box(f(&input));
            t.elapsed()
        })
        .collect();
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let projects = projects();
    if projects.is_empty() {
        return;
    }
    let files = projects.iter().map(Vec::len).sum::<usize>();
    let bytes: usize = projects.iter().flatten().map(|(_, t)| t.len()).sum();
    let mut g = c.benchmark_group(format!("orm: {} projects, {files} Python files", projects.len()));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    let fresh = || projects.iter().map(build).collect::<Vec<Project>>();
    g.bench_function("parse", |b| b.iter(|| parse_all(&projects)));
    g.bench_function("orm", |b| b.iter_batched_ref(fresh, |built| orm_all(built), BatchSize::LargeInput));
    g.finish();

    let (parse, orm) = (median(|| (), |()| parse_all(&projects)), median(fresh, |built| orm_all(built)));
    // Where the ORM's time goes: each phase on projects where the earlier ones are cached.
    let imports = median(fresh, |built| built.iter().flat_map(|p| &p.files).filter_map(|f| f.python()).map(|m| m.imports().len()).sum());
    let extract = median(
        || {
            let built = fresh();
            built.iter().flat_map(|p| &p.files).filter_map(|f| f.python()).for_each(|m| {
                std::hint::black_box(m.imports());
            });
            built
        },
        |built| built.iter().flat_map(|p| &p.files).filter_map(|f| f.python()).map(|m| m.orm().queries.len()).sum(),
    );
    let share = |d: Duration| d.as_secs_f64() / parse.as_secs_f64().max(1e-9) * 100.0;
    eprintln!(
        "\nORM over {files} Python files ({bytes} bytes): parse {parse:.2?}, ORM {orm:.2?} = {:.1}% on top of the parse (target < 30%); of it imports {imports:.2?} ({:.1}%), extraction {extract:.2?} ({:.1}%), graph and query resolution the rest",
        share(orm),
        share(imports),
        share(extract)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
