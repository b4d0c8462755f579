//! Carries out a parsed command line: opens the repository, loads the
//! configuration, picks the source, runs the engine and writes the report.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};

use crate::baseline::{self, Baseline};
use crate::cli::{
    CheckArgs, Cli, ColorChoice, Command, CompletionsArgs, FixArgs, Format, InitArgs, InstallArgs,
    MigrationsArgs, MigrationsFormat, ModelsArgs, RulesArgs,
};
use crate::config::Config;
use crate::engine::{self, Selection};
use crate::explain;
use crate::finding::Severity;
use crate::git::Repo;
use crate::report::{self, Report};
use crate::rules::RuleId;

/// Runs a command and returns the process exit code; an `Err` is a failed
/// run (exit code 2).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    set_color(cli.color);
    let start = start_dir(cli.dir.as_deref())?;
    match cli.command {
        Command::Check(args) => check(&start, args),
        Command::Rules(args) => rules(args, cli.color),
        Command::Init(args) => init(&start, args),
        Command::Completions(args) => completions(args),
        Command::Fix(args) => fix(&start, args),
        Command::Install(args) => install(&start, args),
        Command::Migrations(args) => migrations(&start, args),
        Command::Models(args) => models(&start, args),
    }
}

/// Decides color once for the whole process: `--color`, then `NO_COLOR`,
/// then `CLICOLOR_FORCE`, then whether stdout is a terminal.
fn set_color(choice: ColorChoice) {
    let env_set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if env_set("CLICOLOR_FORCE") {
                true
            } else {
                io::stdout().is_terminal()
            }
        }
    };
    colored::control::set_override(on);
}

/// The directory dbguard acts in: `-C DIR` (relative to the current
/// directory) or the current directory.
fn start_dir(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let Some(dir) = dir else { return Ok(cwd) };
    let dir = cwd.join(dir);
    if !dir.is_dir() {
        bail!("-C {}: no such directory", dir.display());
    }
    Ok(dir)
}

fn parse_rule_ids(names: &[String], flag: &str) -> anyhow::Result<Vec<RuleId>> {
    names
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<RuleId>().map_err(|e| anyhow!("{flag}: {e}")))
        .collect()
}

/// Writes to stdout; a closed pipe (`dbguard check | head`) is not an error.
fn emit(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write the report"),
    }
}

fn check(start: &Path, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let select = parse_rule_ids(&args.select, "--select")?;
    let ignore = parse_rule_ids(&args.ignore, "--ignore")?;
    let repo = Repo::open(start)?;
    let explicit = args.config.as_ref().map(|p| start.join(p));
    let (config, _) = Config::load(repo.root(), explicit.as_deref())?;
    let format = match args.format {
        Some(f) => f,
        // Counts are text, in GitHub Actions too.
        None if args.statistics => Format::Text,
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => Format::Github,
        None => Format::Text,
    };
    if args.statistics && format != Format::Text {
        bail!("--statistics prints text: leave out --format, or drop --statistics");
    }
    let report_format = match format {
        Format::Text if args.statistics => report::Format::Statistics,
        Format::Text if args.quiet => report::Format::Quiet,
        Format::Text => report::Format::Text {
            verbose: args.verbose,
        },
        Format::Json => report::Format::Json,
        Format::Sarif => report::Format::Sarif {
            root: Some(repo.root()),
        },
        Format::Github => report::Format::Github,
    };
    let selection = Selection::new(&config, &select, &ignore);
    crate::rules::warm_up_in_background(|id| selection.is_enabled(id));
    // Started before git is read: listing a long range takes time too.
    let progress = Arc::new(engine::Progress::default());
    let ticker = crate::progress::wanted_here(matches!(format, Format::Text) && !args.quiet)
        .then(|| crate::progress::Ticker::start(progress.clone()));
    // `pre-commit run --files`/`--all-files`: the names pre-commit passed,
    // findings elsewhere are left out (checked with every file in view).
    let mut only: Option<HashSet<String>> = None;
    let store = repo.store();
    // A range is checked a batch of commits at a time (a long history's
    // changes do not fit in memory together); anything else is one set.
    let hook = args.from_pre_commit.then(pre_commit_source);
    let range = match &hook {
        Some(HookSource::Range(range)) => Some(range.as_str()),
        Some(_) => None,
        None => args.range.as_deref(),
    };
    let mut outcome = if let Some(range) = range {
        let mut scan = engine::Scan::new(&config, store.as_ref(), &selection, &progress);
        repo.range_batches(range, None, &mut |sets| {
            scan.add(&sets)?;
            drop(sets);
            crate::memory::release_freed();
            Ok(())
        })?;
        scan.finish()
    } else {
        let sets = match hook {
            Some(HookSource::Names) => {
                let staged = repo.staged()?;
                let names = hook_names(&args.paths);
                if all_staged(&staged, &names) {
                    vec![staged]
                } else {
                    only = Some(names);
                    vec![repo.tracked()?]
                }
            }
            Some(_) => vec![repo.staged()?],
            None if args.all => vec![repo.tracked()?],
            None if !args.paths.is_empty() => vec![repo.paths(start, &args.paths)?],
            None => vec![repo.staged()?],
        };
        let outcome =
            engine::run_with_progress(&sets, &config, store.as_ref(), &selection, &progress)?;
        // The change sets hold whole trees (60,000 paths on a large
        // repository): freeing them one by one cost a tenth of a staged
        // check, and the process ends right after the report. Nothing
        // they hold needs flushing.
        std::mem::forget(sets);
        outcome
    };
    drop(ticker);
    // The store holds a pool of libgit2 handles: as above.
    std::mem::forget(store);
    if let Some(file) = &args.write_baseline {
        let path = start.join(file);
        let n = baseline::write(&path, &outcome.findings)?;
        eprintln!(
            "dbguard: wrote {n} findings to the baseline {}",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(names) = &only {
        outcome.findings.retain(|f| names.contains(&f.path));
    }
    let baseline_file = match (&args.baseline, &config.baseline) {
        (Some(cli), _) => Some(start.join(cli)),
        (None, Some(cfg)) => Some(repo.root().join(cfg)),
        (None, None) => None,
    };
    if let Some(path) = baseline_file {
        Baseline::load(&path)?.retain_new(&mut outcome.findings);
    }
    let report = Report {
        findings: &outcome.findings,
        files_scanned: outcome.files_scanned,
        unread: outcome.unread.len(),
    };
    emit(|out| report::write(&report, report_format, out))?;
    if !outcome.unread.is_empty() {
        for u in &outcome.unread {
            let at = u.commit.as_deref().map_or(String::new(), |c| {
                format!(" at commit {}", &c[..c.len().min(12)])
            });
            eprintln!(
                "dbguard: cannot read {}{at}: object {} is not in this clone",
                u.path, u.blob
            );
        }
        bail!(
            "{} could not be read (their objects are missing from this clone); every other file was checked and reported. Fetch the missing objects (`git fetch --refetch`, or a full clone) and run again",
            plural(outcome.unread.len(), "file")
        );
    }
    Ok(if outcome.count(Severity::Error) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fix(start: &Path, args: FixArgs) -> anyhow::Result<ExitCode> {
    let repo = Repo::open(start)?;
    let stdout = io::stdout();
    let mut out = io::LineWriter::new(stdout.lock());
    if let Some(run) = &args.restore {
        crate::fix::restore(&repo, run.as_deref(), args.dry_run, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.list_trash {
        crate::fix::list_trash(&repo, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.empty_trash {
        crate::fix::empty_trash(&repo, args.dry_run, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let explicit = args.config.as_ref().map(|p| start.join(p));
    let (config, _) = Config::load(repo.root(), explicit.as_deref())?;
    let opts = crate::fix::Options {
        dry_run: args.dry_run,
        clean: args.clean,
    };
    crate::fix::run(&repo, &config, opts, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn install(start: &Path, args: InstallArgs) -> anyhow::Result<ExitCode> {
    let repo = Repo::open(start)?;
    let opts = crate::install::Options {
        force: args.force,
        uninstall: args.uninstall,
    };
    let stdout = io::stdout();
    let mut out = io::LineWriter::new(stdout.lock());
    crate::install::run(&repo, opts, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// The repository at `start`, its configuration (`config`: the
/// `--config` given, relative to `start`) and the tracked files as they
/// are in the working tree: where the read-only reports (`migrations`,
/// `models`) start.
fn working_tree(
    start: &Path,
    config: Option<&Path>,
) -> anyhow::Result<(Repo, Config, Arc<crate::changes::Snapshot>)> {
    let repo = Repo::open(start)?;
    let explicit = config.map(|p| start.join(p));
    let (config, _) = Config::load(repo.root(), explicit.as_deref())?;
    let snapshot = repo.tracked()?.new_tree.get()?;
    Ok((repo, config, snapshot))
}

/// `dbguard migrations`: the revision graph of every environment in the
/// tracked files as they are in the working tree. Files whose revision
/// cannot be read are left out of the graph and named on stderr.
fn migrations(start: &Path, args: MigrationsArgs) -> anyhow::Result<ExitCode> {
    use crate::alembic::{History, environments};
    use crate::report::migrations::{EnvHistory, write_json, write_text};
    let (repo, config, snapshot) = working_tree(start, args.config.as_deref())?;
    let store = repo.store();
    let mut envs = Vec::new();
    for env in environments(&snapshot, store.as_ref(), &config.migrations) {
        let history = History::load(&env, &snapshot, store.as_ref())?;
        for f in history.files.iter().filter(|f| f.node.is_none()) {
            eprintln!(
                "dbguard: warning: {}: the revision cannot be read; it is left out of the graph",
                f.path
            );
        }
        envs.push(EnvHistory { env, history });
    }
    emit(|out| match args.format {
        MigrationsFormat::Json => write_json(&envs, out),
        MigrationsFormat::Text => write_text(&envs, out),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `dbguard models [--diff]`: the schema read from the tracked model
/// files as they are in the working tree, and with `--diff` where it
/// differs from each environment's migration head (exit 1 when it does).
fn models(start: &Path, args: ModelsArgs) -> anyhow::Result<ExitCode> {
    use crate::alembic::environments;
    use crate::report::models::{EnvHead, ModelsDiff, write_json, write_text};
    use crate::rules::model_head::{Known, Reference, all_differences, read_models};
    let (repo, config, snapshot) = working_tree(start, args.config.as_deref())?;
    let store = repo.store();
    let envs = environments(&snapshot, store.as_ref(), &config.migrations);
    let models = read_models(&snapshot, store.as_ref(), &config, &envs)?;
    let schema = &models.schema;
    for path in &models.broken {
        eprintln!("dbguard: warning: {path}: the model file does not parse; it is left out");
    }
    let diff = if args.diff {
        let reference = Reference::load(&envs, &snapshot, store.as_ref())?;
        let unknown = schema
            .tables
            .iter()
            .filter(|t| matches!(reference.knows(t), Known::Unknown))
            .map(|t| {
                let why = reference
                    .heads
                    .iter()
                    .find_map(|(_, h)| h.unknown_because(&t.name));
                match why {
                    Some(path) => format!("{} ({path})", t.name),
                    None => t.name.clone(),
                }
            })
            .collect();
        Some(ModelsDiff {
            environments: reference
                .heads
                .iter()
                .map(|(env, head)| EnvHead {
                    script_location: env.display_location().to_string(),
                    heads: head.revisions.clone(),
                    opaque: head.opaque.clone(),
                })
                .collect(),
            differences: all_differences(&reference, &models),
            unknown,
        })
    } else {
        None
    };
    emit(|out| match args.format {
        MigrationsFormat::Json => write_json(schema, diff.as_ref(), out),
        MigrationsFormat::Text => write_text(schema, diff.as_ref(), out),
    })?;
    let differs = diff.is_some_and(|d| !d.differences.is_empty());
    Ok(if differs {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a pre-commit hook run should check.
enum HookSource {
    Range(String),
    Staged,
    /// Outside `git commit`: the file names pre-commit passed decide.
    Names,
}

/// Reads pre-commit's environment: on pre-push it names the pushed range;
/// inside `git commit` git always sets `GIT_INDEX_FILE` for its hooks. A
/// manual `pre-commit run` sets neither, and pre-commit tells its modes
/// apart only by the file names it passes (the staged files, or every
/// tracked file with `--all-files`): see [`HookSource::Names`].
fn pre_commit_source() -> HookSource {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(from), Some(to)) = (var("PRE_COMMIT_FROM_REF"), var("PRE_COMMIT_TO_REF")) {
        // A new branch pushes from the zero id: check what is not on any remote.
        if from.bytes().all(|b| b == b'0') {
            return HookSource::Range(to);
        }
        return HookSource::Range(format!("{from}..{to}"));
    }
    if var("GIT_INDEX_FILE").is_some() {
        HookSource::Staged
    } else {
        HookSource::Names
    }
}

/// The names pre-commit passed, as repository-relative paths with forward
/// slashes (pre-commit runs hooks at the repository root).
fn hook_names(paths: &[PathBuf]) -> HashSet<String> {
    paths
        .iter()
        .map(|p| {
            let s = p.to_string_lossy().replace('\\', "/");
            s.strip_prefix("./").unwrap_or(&s).to_owned()
        })
        .collect()
}

/// Whether every name is a path the index adds or changes: `pre-commit
/// run` without `--all-files` passes exactly those (deletions left out).
fn all_staged(staged: &crate::changes::ChangeSet, names: &HashSet<String>) -> bool {
    let paths: HashSet<&str> = staged.changes.iter().map(|c| c.path.as_str()).collect();
    names.iter().all(|n| paths.contains(n.as_str()))
}

fn rules(args: RulesArgs, color: ColorChoice) -> anyhow::Result<ExitCode> {
    let terminal = io::stdout().is_terminal();
    match args.rule {
        None => emit(|out| explain::write_table(out, terminal))?,
        Some(name) => {
            let id: RuleId = name.parse().map_err(|e: String| anyhow!(e))?;
            let rendered = color == ColorChoice::Always || (terminal && color == ColorChoice::Auto);
            emit(|out| explain::write_doc(id.info(), rendered, out))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes (or prints) a starter configuration tuned to the repository.
fn init(start: &Path, args: InitArgs) -> anyhow::Result<ExitCode> {
    // Outside a git repository the starting directory is the root.
    let root = Repo::open(start).map_or_else(|_| start.to_path_buf(), |r| r.root().to_path_buf());
    let text = crate::init::starter(&crate::init::detect(&root));
    if args.stdout {
        emit(|out| out.write_all(text.as_bytes()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = root.join(crate::config::DEFAULT_FILE);
    if path.exists() && !args.force {
        bail!(
            "{} already exists; keep it, or overwrite it with `dbguard init --force`",
            path.display()
        );
    }
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "dbguard: wrote {} (run `dbguard check --all` to try it)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints a completion script generated from the clap definitions.
fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    emit(|out| {
        clap_complete::generate(args.shell, &mut cmd, "dbguard", out);
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
