//! The command line, as clap types only. `main.rs` parses it and `run.rs`
//! carries it out; `dbguard completions` generates shell completions from
//! the same definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keeps database files, credentials and unmigrated model changes out of
/// git.
#[derive(Debug, Parser)]
#[command(
    name = "dbguard",
    version,
    about = "Keeps database files, credentials and unmigrated model changes out of git",
    after_help = "Examples:\n  dbguard check                        check what is staged (what the pre-commit hook runs)\n  dbguard check --all                  check every tracked file\n  dbguard check --range origin/main..HEAD --format sarif > dbguard.sarif\n  dbguard fix                          unstage database files, extend .gitignore\n  dbguard rules credential             explain a rule\n  dbguard models --diff                the models against the schema the migrations build\n  dbguard init                         write a starter .dbguard.yaml\n  dbguard completions zsh              print shell completions\n\nExit status: 0 nothing at error severity, 1 error findings, 2 the run failed."
)]
pub struct Cli {
    /// Run as if dbguard was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// When to color the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// When to color text output. `auto` colors a terminal unless `NO_COLOR`
/// is set (or forces color with `CLICOLOR_FORCE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check staged changes (default), every tracked file, listed paths, or a commit range.
    Check(CheckArgs),
    /// Unstage database and .env files, untrack committed databases, extend .gitignore.
    Fix(FixArgs),
    /// Show the Alembic revision graph of every migration environment.
    Migrations(MigrationsArgs),
    /// Print the schema read from the models; --diff: against the migrations' head.
    Models(ModelsArgs),
    /// Install the git pre-commit hook.
    Install(InstallArgs),
    /// List the rules, or explain one.
    Rules(RulesArgs),
    /// Write a commented starter .dbguard.yaml tuned to this repository.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
}

/// Output formats of `dbguard check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard check                            what is staged\n  dbguard check --all                      every tracked file at its working-tree state\n  dbguard check app/models.py data/        just these paths\n  dbguard check --range origin/main..HEAD  every commit of a pull request (CI)\n  dbguard check --all --format json        machine-readable findings\n  dbguard check --select credential,env-file --ignore sql-injection\n\nInside GitHub Actions (GITHUB_ACTIONS=true) the default format is github:\nfindings become annotations on the pull request."
)]
pub struct CheckArgs {
    /// Check just these paths (from the working tree) instead of the staged changes.
    #[arg(value_name = "PATHS", conflicts_with_all = ["all", "range"])]
    pub paths: Vec<PathBuf>,

    /// Check every tracked file at its working-tree state.
    #[arg(long, conflicts_with = "range")]
    pub all: bool,

    /// Check every commit in a git range (CI: origin/main..HEAD).
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// Let pre-commit choose what to check: the push range on pre-push
    /// (PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF), the staged changes inside
    /// `git commit` and `pre-commit run`, the files it names for
    /// `pre-commit run --all-files` or `--files` (PATHS are pre-commit's names).
    #[arg(long, conflicts_with_all = ["all", "range"])]
    pub from_pre_commit: bool,

    /// Output format (default: text, or github inside GitHub Actions).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Configuration file (default: .dbguard.yaml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run only these rules (repeatable, or comma-separated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip these rules (repeatable, or comma-separated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Also print the summary line when there is nothing to report.
    #[arg(short, long)]
    pub verbose: bool,

    /// Text: one line per finding, without hints, counts or summary.
    #[arg(short, long, conflicts_with_all = ["verbose", "statistics"])]
    pub quiet: bool,

    /// Print the number of findings per rule instead of the findings (text).
    #[arg(long)]
    pub statistics: bool,

    /// Report only findings that are not in this baseline file (default:
    /// `baseline:` in the config).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write today's findings to FILE as a baseline (no report; exit 0).
    /// Rewriting drops entries whose findings are gone.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard fix --dry-run --clean     what would be unstaged, ignored and moved\n  dbguard fix --clean               also move untracked databases to .git/dbguard-trash\n  dbguard fix --restore             put the last --clean run back\n  dbguard fix --list-trash          runs in the trash and their sizes\n  dbguard fix --empty-trash         delete the trash for good (the only command that does)"
)]
pub struct FixArgs {
    /// Print what would be done and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Also move untracked database artifacts (test databases, journals, WAL/SHM, backups)
    /// into the trash in the git directory; a database in use stays.
    #[arg(long)]
    pub clean: bool,

    /// Put back the files of a --clean run: the last one, or RUN. Never overwrites a file.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["clean", "list_trash", "empty_trash"])]
    pub restore: Option<Option<String>>,

    /// Show the runs in the trash and their sizes.
    #[arg(long, conflicts_with_all = ["clean", "empty_trash", "dry_run"])]
    pub list_trash: bool,

    /// Delete every run in the trash for good.
    #[arg(long, conflicts_with = "clean")]
    pub empty_trash: bool,

    /// Configuration file (default: .dbguard.yaml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrationsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = MigrationsFormat::Text)]
    pub format: MigrationsFormat,

    /// Configuration file (default: .dbguard.yaml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Output formats of `dbguard migrations` and `dbguard models`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MigrationsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard models                   the tables and columns dbguard reads from the models\n  dbguard models --diff            where they differ from the schema the migrations build\n  dbguard models --diff --format json\n\nWith --diff the exit status is 1 when they differ (like `alembic check`, but with no\ndatabase and nothing imported), 0 when they agree, 2 when the run fails.\nTables whose migrations dbguard cannot read (raw SQL, helpers) are listed as not compared."
)]
pub struct ModelsArgs {
    /// Compare the models with the schema each environment's migrations build at head.
    #[arg(long)]
    pub diff: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = MigrationsFormat::Text)]
    pub format: MigrationsFormat,

    /// Configuration file (default: .dbguard.yaml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Overwrite an existing pre-commit hook that dbguard did not write.
    #[arg(long)]
    pub force: bool,

    /// Remove the hook dbguard installed (and nothing else).
    #[arg(long)]
    pub uninstall: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard rules                 every rule with its severity and summary\n  dbguard rules credential      what the rule checks, why, how to fix it"
)]
pub struct RulesArgs {
    /// The rule to explain; all rules are listed when omitted.
    pub rule: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard init                  write .dbguard.yaml at the repository root\n  dbguard init --stdout         print it instead"
)]
pub struct InitArgs {
    /// Overwrite an existing configuration file.
    #[arg(long)]
    pub force: bool,

    /// Print the configuration on stdout instead of writing the file.
    #[arg(long, conflicts_with = "force")]
    pub stdout: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  dbguard completions bash > ~/.local/share/bash-completion/completions/dbguard\n  dbguard completions zsh > \"${fpath[1]}/_dbguard\"\n  dbguard completions fish > ~/.config/fish/completions/dbguard.fish\n  dbguard completions powershell >> $PROFILE"
)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
