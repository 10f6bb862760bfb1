//! The project model of a synthetic compose project with 1,000 services (issue target:
//! under 50 ms): the YAML parse alone, and the whole build (compose merge, `.env`
//! interpolation, deployment services, links).
//!
//! `cargo bench -p stacklint_project --bench deployment_model`

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};
use stacklint_project::{Project, ProjectOptions};

/// 1,000 services, each with an interpolated image, a gunicorn command, environment, a
/// published port, a dependency on the previous one, replicas and limits.
fn thousand_services() -> String {
    let mut compose = String::from("services:\n");
    for i in 0..1000_u32 {
        let _ = write!(
            compose,
            "  svc{i}:\n    image: app:${{TAG:-1.0}}\n    command: gunicorn app:app -w 2\n    environment:\n      DATABASE_URL: postgres://db/app\n      N: \"{i}\"\n    ports:\n      - \"{}:8000\"\n    depends_on: [svc{}]\n    deploy:\n      replicas: 2\n      resources:\n        limits: {{cpus: \"0.5\", memory: 256M}}\n",
            10000 + i,
            i.saturating_sub(1)
        );
    }
    compose
}

fn bench(c: &mut Criterion) {
    let compose = thousand_services();
    let mut group = c.benchmark_group("1000-service compose");
    group.sample_size(20);
    group.bench_function("yaml parse", |b| b.iter(|| stacklint_syntax::compose::parse(&compose).tree.services.len()));
    group.bench_function("project model", |b| b.iter(|| Project::from_sources(ProjectOptions::default(), &[("docker-compose.yml", &compose)]).deployment.services.len()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
