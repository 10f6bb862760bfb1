//! Building the gunicorn processes of a project from its files.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use stacklint_python::PyModule;
use stacklint_syntax::dockerfile::Dockerfile;
use stacklint_syntax::ini::IniFile;
use stacklint_syntax::shell::Word;

use super::argv::{read_argv, word_value};
use super::conf::ConfFile;
use super::edit::{ArgvStyle, Site};
use super::compose;
use super::dockerfile::{self, ScriptFile};
use super::frontends::{self, FoundCommand};
use super::table::ValueKind;
use super::{CommandSource, ConfigRef, Frontend, GunSetting, GunicornProcess, Layer, Origin, Span, SpannedStr, ValueSyntax, Written};
use crate::kind::FileKind;
use crate::project::Project;
use crate::target::Target;

/// What the builder needs besides the files.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The project root (relative `-c` paths are also tried against it).
    pub root: PathBuf,
    /// The host target every process gets (compose limits will narrow it per service).
    pub target: Target,
    /// Whether the processes run in containers; `None`: yes when the project has a
    /// Dockerfile or compose file.
    pub in_container: Option<bool>,
}

/// One file as the builder sees it: its text and, when the caller already parsed it,
/// its Python module or Dockerfile (the project parses every file once).
pub(crate) struct Input<'a> {
    pub path: &'a PathBuf,
    pub kind: FileKind,
    pub text: &'a str,
    pub python: Option<&'a PyModule>,
    pub dockerfile: Option<&'a Dockerfile>,
    /// The tree of a supervisord configuration or systemd unit.
    pub ini: Option<&'a IniFile>,
    /// The parsed compose file (when it is not a template: its tree is of the skeleton).
    pub compose: Option<&'a stacklint_syntax::compose::ComposeFile>,
}

/// Every gunicorn process of the project: one per command line (Procfile entries, shell
/// scripts, supervisord programs, systemd units, `*.cmdline` excerpts, Dockerfile
/// `CMD`/`ENTRYPOINT`) with the config file it
/// loads merged in, plus one per config file that nothing references. Parses what it
/// reads; [`build_for_project`] reuses the project's trees.
pub fn build_processes(files: &[(PathBuf, FileKind, &str)], options: &BuildOptions) -> Vec<GunicornProcess> {
    let dockerfiles: Vec<Option<Dockerfile>> = files.iter().map(|(_, k, t)| (*k == FileKind::Dockerfile).then(|| stacklint_syntax::dockerfile::parse(t).tree)).collect();
    let inputs: Vec<Input<'_>> = files.iter().zip(&dockerfiles).map(|((path, kind, text), df)| Input { path, kind: *kind, text, python: None, dockerfile: df.as_ref(), ini: None, compose: None }).collect();
    build(&inputs, options)
}

/// The gunicorn processes of a built project, from the trees it already holds.
pub fn build_for_project(project: &Project) -> Vec<GunicornProcess> {
    let inputs: Vec<Input<'_>> = project.files.iter().map(|f| Input { path: &f.path, kind: f.kind, text: &f.text, python: f.python(), dockerfile: f.dockerfile(), ini: f.ini(), compose: f.compose().filter(|_| f.template.is_none()) }).collect();
    let options = BuildOptions { root: project.root.clone(), target: project.target.clone(), in_container: None };
    let mut processes = build_untargeted(&inputs, &options);
    compose::set_targets(&mut processes, &inputs, &options.target, Some(project));
    processes
}

fn build(files: &[Input<'_>], options: &BuildOptions) -> Vec<GunicornProcess> {
    let mut processes = build_untargeted(files, options);
    compose::set_targets(&mut processes, files, &options.target, None);
    processes
}

fn build_untargeted(files: &[Input<'_>], options: &BuildOptions) -> Vec<GunicornProcess> {
    let in_container = options.in_container.unwrap_or_else(|| files.iter().any(|f| matches!(f.kind, FileKind::Dockerfile | FileKind::Compose)));
    let scripts: Vec<ScriptFile<'_>> = files.iter().filter(|f| f.kind == FileKind::Shell).map(|f| ScriptFile { path: f.path, text: f.text }).collect();
    let mut commands: Vec<FoundCommand> = Vec::new();
    for f in files {
        let is_excerpt = f.path.extension().is_some_and(|e| e == "cmdline");
        if is_excerpt {
            commands.extend(frontends::from_excerpt(f.path, f.text));
        } else if f.kind == FileKind::Procfile {
            commands.extend(frontends::from_procfile(f.path, f.text));
        } else if f.kind == FileKind::Shell {
            commands.extend(frontends::from_script(f.path, f.text));
        } else if let Some(df) = f.dockerfile.filter(|_| f.kind == FileKind::Dockerfile) {
            commands.extend(dockerfile::from_dockerfile(f.path, f.text, df, &scripts));
        } else if f.kind == FileKind::Compose {
            commands.extend(compose::from_compose(f.path, f.text, f.compose));
        } else if f.kind == FileKind::Supervisord {
            commands.extend(frontends::from_supervisord(f.path, f.text, f.ini));
        } else if f.kind == FileKind::Systemd {
            commands.extend(frontends::from_systemd(f.path, f.text, f.ini));
        }
    }
    let mut confs: HashMap<PathBuf, ConfFile> = HashMap::new();
    let mut referenced: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::new();
    for cmd in commands {
        let process = command_process(&cmd, files, options, in_container, &mut confs, &mut referenced);
        if let Some(p) = process {
            out.push(p);
        }
    }
    for f in files {
        if f.kind != FileKind::GunicornConfig || referenced.contains(f.path) {
            continue;
        }
        let conf = confs.remove(f.path).unwrap_or_else(|| read_conf(f));
        out.push(conf_process(conf, options, in_container));
    }
    out
}

fn read_conf(f: &Input<'_>) -> ConfFile {
    match f.python {
        Some(module) => ConfFile::read(f.path, module),
        None => ConfFile::parse(f.path, f.text),
    }
}

fn conf_process(conf: ConfFile, options: &BuildOptions, in_container: bool) -> GunicornProcess {
    let app = conf.settings.iter().rev().find(|s| s.name == "wsgi_app" && s.is_effective()).and_then(|s| s.value.as_str().map(|v| SpannedStr { value: v.to_owned(), span: Span { file: s.origin.file.clone(), range: s.origin.value_range.unwrap_or(s.origin.range) } }));
    GunicornProcess {
        frontend: Frontend::ConfFile,
        anchor: Span { file: conf.path.clone(), range: conf.first_statement },
        config_anchor: None,
        app,
        config_file: None,
        settings: conf.settings,
        unknown: conf.unknown,
        cpu_count_calls: conf.cpu_count_calls,
        in_container,
        target: options.target.clone(),
        sites: vec![Site::ConfFile(conf.site)],
    }
}

fn env_value<'w>(cmd: &'w FoundCommand, name: &str) -> Option<&'w Word> {
    // inline assignments win over earlier exports; the last one written wins
    cmd.inv.env.iter().rev().chain(cmd.exported.iter().rev()).find(|w| w.assignment().is_some_and(|(n, _)| n == name))
}

fn command_process(cmd: &FoundCommand, files: &[Input<'_>], options: &BuildOptions, in_container: bool, confs: &mut HashMap<PathBuf, ConfFile>, referenced: &mut HashSet<PathBuf>) -> Option<GunicornProcess> {
    let file = cmd.file.as_path();
    let cli = read_argv(file, &cmd.inv.args, Layer::CommandLine, cmd.syntax);
    // `--reload` restarts on code changes: the development server (a dev compose file, a
    // local script), not a deployment the sizing and recycling rules are about.
    if cli.not_a_server || cli.settings.iter().any(|s| s.name == "reload") {
        return None;
    }
    let mut settings = Vec::new();
    let mut unknown = Vec::new();
    // WEB_CONCURRENCY: the default of `workers`.
    if let Some(w) = env_value(cmd, "WEB_CONCURRENCY") {
        let name_len = "WEB_CONCURRENCY=".len();
        let text = w.value.get(name_len..).unwrap_or("").to_owned();
        let value = word_value(ValueKind::Int, &text, w.has_expansion);
        let value_range = w.raw_range_of(name_len..w.value.len());
        let origin = Origin { file: file.to_path_buf(), value_range, range: w.range, name_range: w.raw_range_of(0..name_len - 1).unwrap_or(w.range), value_raw: text, layer: Layer::Environment, written: Written::EnvVar { name: "WEB_CONCURRENCY".into() }, syntax: ValueSyntax::Shell, conditional: false };
        settings.push(GunSetting { name: "workers", value, origin });
    }
    // GUNICORN_CMD_ARGS: flags, between the config file and the command line.
    let mut env_args = None;
    if let Some(w) = env_value(cmd, "GUNICORN_CMD_ARGS") {
        let words: Vec<Word> = w.split_value("GUNICORN_CMD_ARGS=".len()).tree.into_iter().filter_map(|t| t.as_word().cloned()).collect();
        env_args = Some(read_argv(file, &words, Layer::CmdArgsEnv, ValueSyntax::Shell));
    }
    // The config file: the command line's `-c` wins over GUNICORN_CMD_ARGS's.
    let config_setting = cli.settings.iter().rev().find(|s| s.name == "config").or_else(|| env_args.as_ref().and_then(|a| a.settings.iter().rev().find(|s| s.name == "config")));
    let config_file = if let Some(s) = config_setting {
        let value = s.value.as_str().unwrap_or(&s.origin.value_raw).to_owned();
        let resolved = resolve_config(&value, &cmd.base_dir, &options.root, files);
        Some(ConfigRef { value: SpannedStr { value, span: Span { file: file.to_path_buf(), range: s.origin.value_range.unwrap_or(s.origin.range) } }, resolved, implicit: false })
    } else {
        // gunicorn loads ./gunicorn.conf.py by default.
        let implicit = [cmd.base_dir.join("gunicorn.conf.py"), options.root.join("gunicorn.conf.py")].into_iter().find(|p| files.iter().any(|f| same_path(f.path, p)));
        implicit.map(|p| ConfigRef { value: SpannedStr { value: "./gunicorn.conf.py".into(), span: Span { file: file.to_path_buf(), range: cmd.inv.command_range } }, resolved: Some(p), implicit: true })
    };
    let mut sites = Vec::new();
    let mut cpu_count_calls = Vec::new();
    let mut conf_app = None;
    let mut config_anchor = None;
    if let Some(resolved) = config_file.as_ref().and_then(|c| c.resolved.clone())
        && let Some(input) = files.iter().find(|f| same_path(f.path, &resolved))
    {
        {
            let conf = confs.entry(input.path.clone()).or_insert_with(|| read_conf(input));
            referenced.insert(input.path.clone());
            settings.extend(conf.settings.iter().cloned());
            unknown.extend(conf.unknown.iter().cloned());
            cpu_count_calls.extend(conf.cpu_count_calls.iter().cloned());
            conf_app = conf.settings.iter().rev().find(|s| s.name == "wsgi_app" && s.is_effective()).and_then(|s| s.value.as_str().map(|v| SpannedStr { value: v.to_owned(), span: Span { file: s.origin.file.clone(), range: s.origin.value_range.unwrap_or(s.origin.range) } }));
            sites.push(Site::ConfFile(conf.site.clone()));
            config_anchor = Some(Span { file: conf.path.clone(), range: conf.first_statement });
        }
    }
    if let Some(env) = env_args {
        settings.extend(env.settings);
        unknown.extend(env.unknown);
    }
    let app = cli.app().cloned().or(conf_app);
    settings.extend(cli.settings);
    unknown.extend(cli.unknown);
    let style = cmd.style.clone().unwrap_or_else(|| ArgvStyle::Shell { offset: cmd.inv.append_offset(), continuation_indent: cmd.inv.continuation_indent(files.iter().find(|f| f.path == file).map_or("", |f| f.text)) });
    sites.push(Site::Argv { file: file.to_path_buf(), style });
    Some(GunicornProcess {
        frontend: Frontend::CommandLine(cmd.source.clone()),
        anchor: Span { file: file.to_path_buf(), range: cmd.anchor.unwrap_or(cmd.inv.command_range) },
        config_anchor,
        app,
        config_file,
        settings,
        unknown,
        cpu_count_calls,
        // A Procfile is run by its platform (Heroku, Dokku, honcho), a systemd unit by the
        // host's init, not in the project's images.
        in_container: in_container && !matches!(cmd.source, CommandSource::Procfile { .. } | CommandSource::Systemd),
        target: options.target.clone(),
        sites,
    })
}

/// Lexically normalised path (`a/./b/../c` → `a/c`).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn same_path(a: &Path, b: &Path) -> bool {
    !crate::project::names_differ(a, b) && normalise(a) == normalise(b)
}

/// The project file a `-c` value names: relative to the command's folder, then to the
/// root; `python:pkg.mod` as a module path; an absolute path (inside a container) by the
/// longest path suffix that matches exactly one project file.
fn resolve_config(value: &str, base_dir: &Path, root: &Path, files: &[Input<'_>]) -> Option<PathBuf> {
    let exists = |p: &Path| files.iter().find(|f| same_path(f.path, p)).map(|f| f.path.clone());
    if value.contains('$') || value.contains("{{") {
        return None;
    }
    let rel: String = if let Some(module) = value.strip_prefix("python:") { format!("{}.py", module.replace('.', "/")) } else { value.strip_prefix("file:").unwrap_or(value).to_owned() };
    let rel_path = Path::new(&rel);
    if rel_path.is_relative() {
        for base in [base_dir, root] {
            if let Some(f) = exists(&base.join(rel_path)) {
                return Some(f);
            }
        }
    }
    // Suffix match: `/app/config/gunicorn.py` → a project file ending in `config/gunicorn.py`.
    let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    for skip in 0..comps.len() {
        let suffix = comps.get(skip..).unwrap_or(&[]).join("/");
        let hits: Vec<&PathBuf> = files.iter().filter(|f| crate::path_ends_with(f.path, &suffix)).map(|f| f.path).collect();
        if let [one] = hits.as_slice() {
            return Some((*one).clone());
        }
        if hits.len() > 1 {
            return None;
        }
    }
    None
}
