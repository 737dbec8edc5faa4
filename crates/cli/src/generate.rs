//! `trailproof generate-docs DIR` (hidden): writes the man pages of the command and of each
//! subcommand (`clap_mangen`) and its bash, zsh and fish completions (`clap_complete`), all
//! generated from the same clap definitions that parse the command line, so the installed
//! documentation cannot drift from the binary. `scripts/package.sh` runs it for the packages.
//!
//! Output: `DIR/man/trailproof.1`, `DIR/man/trailproof-<subcommand>.1`, ...;
//! `DIR/completions/trailproof.bash`, `_trailproof` (zsh), `trailproof.fish`. The pages are
//! dated with the build's commit date, so the same commit gives the same bytes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;
use trailproof_provenance::BUILD;

#[derive(clap::Args)]
pub struct Args {
    /// The folder to write `man/` and `completions/` into.
    out: PathBuf,
}

/// Writes the page of `cmd` and, recursively, of each visible subcommand.
fn man_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, dir, written)?;
    }
    let date = BUILD.build_date.get(..10).unwrap_or("");
    let page = clap_mangen::Man::new(cmd.clone())
        .date(date)
        .source(format!("trailproof {}", BUILD.version))
        .manual("Trailproof Manual");
    written.push(
        page.generate_to(dir)
            .with_context(|| format!("writing a man page into {}", dir.display()))?,
    );
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let mut cmd = crate::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = args.out.join("man");
    let completions = args.out.join("completions");
    for dir in [&man, &completions] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut written = Vec::new();
    man_pages(&cmd, &man, &mut written)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        written.push(
            clap_complete::generate_to(shell, &mut cmd, "trailproof", &completions)
                .with_context(|| format!("writing the {shell} completion"))?,
        );
    }
    for path in written {
        println!("{}", path.display());
    }
    Ok(0)
}
