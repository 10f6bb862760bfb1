//! Command-line arguments (clap), exactly as DESIGN.md §1 lists them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::OutputFormat;

#[derive(Debug, Parser)]
#[command(name = "stacklint", version, about = "Lint and fix the deployment configs of Python web backends", max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint a project (default: the current folder)
    Check(CheckArgs),
    /// Show a rule's documentation, by code or name (or every rule with --all)
    Rule(RuleArgs),
    /// Print the deployment model: services, what each runs and reads, links, files
    Model(ModelArgs),
    /// How many requests and users each app service takes, and which resource binds first
    Capacity(CapacityArgs),
    /// Run the language server on stdio (for editors: diagnostics, fixes, hover)
    Server,
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Project folders or files (default: the current folder)
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// `text` for people, `markdown` for a pull request, `json` for tools (docs/capacity-json.md),
    /// `svg` for a chart
    #[arg(long, value_enum, default_value_t = CapacityFormat::Text, value_name = "FORMAT")]
    pub output_format: CapacityFormat,
    /// Wall time one request spends in the app, in ms (default 100)
    #[arg(long, value_name = "MS")]
    pub request_time: Option<f64>,
    /// Measure the time per request from an nginx access log whose log_format records
    /// `$upstream_response_time` or `$request_time` (--request-time wins over it)
    #[arg(long, value_name = "PATH")]
    pub access_log: Option<PathBuf>,
    /// CPU time one request costs in the app, in ms (default 20)
    #[arg(long, value_name = "MS")]
    pub cpu_time: Option<f64>,
    /// The share of requests that never reach the app (static files, cached), 0 to 1 (default 0)
    #[arg(long, value_name = "SHARE")]
    pub static_share: Option<f64>,
    /// Seconds between one user's requests (default 10)
    #[arg(long, value_name = "SECONDS")]
    pub think_time: Option<f64>,
    /// Resident memory of one worker process, in MiB (default 150)
    #[arg(long, value_name = "MIB")]
    pub worker_memory: Option<f64>,
    /// What if: replace a value of an app service, e.g. `web.workers=9` (keys: workers,
    /// threads, worker-connections, replicas, cpus); repeatable
    #[arg(long = "set", value_name = "SERVICE.KEY=VALUE")]
    pub what_if: Vec<String>,
    /// Which of stacklint's fixes to apply in memory for the "after" numbers
    #[arg(long, value_enum, default_value_t = CapacityFixes::Safe, value_name = "WHICH")]
    pub fixes: CapacityFixes,
    /// The machine: `cpus=4,memory=8GiB[,storage=ssd]`; overrides [target] key by key
    #[arg(long, value_name = "SPEC")]
    pub target: Option<String>,
    /// Use this configuration file instead of discovering one
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CapacityFixes {
    /// No "after" numbers
    None,
    /// The safe fixes (`--fix`)
    Safe,
    /// Safe and unsafe fixes (`--fix --unsafe-fixes`)
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CapacityFormat {
    Text,
    Markdown,
    Json,
    /// A chart of throughput and response time against concurrent users
    Svg,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Project folders or files (default: the current folder)
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// `text` for people, `json` for tools (a documented contract: docs/model-json.md)
    #[arg(long, value_enum, default_value_t = ModelFormat::Text, value_name = "FORMAT")]
    pub output_format: ModelFormat,
    /// The machine: `cpus=4,memory=8GiB[,storage=ssd]`; overrides [target] key by key
    #[arg(long, value_name = "SPEC")]
    pub target: Option<String>,
    /// Use this configuration file instead of discovering one
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to lint
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Apply safe fixes, re-linting until nothing changes
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes (implies --fix unless --diff is given)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as unified diffs; write nothing
    #[arg(long)]
    pub diff: bool,
    /// How findings are printed
    #[arg(long, value_enum, default_value_t = OutputFormat::Full, value_name = "FORMAT")]
    pub output_format: OutputFormat,
    /// Rules to run: codes, names or prefixes (`GUN`, `NGX0`, `ALL`); replaces the configured selection
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Rules to skip, added to the configured `ignore`
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Rules to add to the selection
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// The machine: `cpus=4,memory=8GiB[,storage=ssd]`; overrides [target] key by key
    #[arg(long, value_name = "SPEC")]
    pub target: Option<String>,
    /// Use this configuration file instead of discovering one
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Lint standard input as if it were the file at PATH
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Exit with 0 even when findings remain
    #[arg(long)]
    pub exit_zero: bool,
    /// Count findings per rule instead of listing them
    #[arg(long)]
    pub statistics: bool,
    /// Also say how many requests and users each app service takes, and what binds first
    /// (`stacklint capacity` shows the arithmetic); with the full and concise formats
    #[arg(long)]
    pub capacity: bool,
    /// List the files that would be linted, with their kinds, and exit
    #[arg(long)]
    pub show_files: bool,
    /// Print findings only: no summary line
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code (`GUN001`) or name (`workers-below-cpu-recommendation`)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub rule: Option<String>,
    /// List every rule
    #[arg(long)]
    pub all: bool,
    /// `text` (default) or `json`
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub output_format: String,
}
