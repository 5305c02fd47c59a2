//! `nam icp`: ICP profiles (TOML files in the config directory's
//! `profiles/`) and scoring every company in the database against one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use super::Env;
use crate::icp::{IcpProfile, list_profiles, profile::profile_path, score_store};

#[derive(Debug, Args)]
pub struct IcpArgs {
    #[command(subcommand)]
    pub command: IcpCommand,
}

#[derive(Debug, Subcommand)]
pub enum IcpCommand {
    /// List the saved profiles.
    List,
    /// Write a commented starter profile NAME.toml (never overwrites one).
    New { name: String },
    /// Print a profile as nam reads it, with the file it is in.
    Show { name: String },
    /// Score every company in the database against a profile; print the
    /// ranking (by prospect score) with each score's reasons.
    Score {
        name: String,
        /// Companies to print.
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
    },
}

/// The directory the config file is in (profiles live under it).
fn config_dir(env: &Env) -> PathBuf {
    env.paths
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

pub fn cmd_icp(env: &Env, args: &IcpArgs) -> Result<()> {
    let dir = config_dir(env);
    let mut out = std::io::stdout().lock();
    match &args.command {
        IcpCommand::List => list(&dir, &mut out),
        IcpCommand::New { name } => {
            let path = new_profile(&dir, name)?;
            writeln!(
                out,
                "wrote {}; edit it, then `nam icp score {name}`",
                path.display()
            )?;
            Ok(())
        }
        IcpCommand::Show { name } => {
            let profile = IcpProfile::load(&dir, name)?;
            let path = profile_path(&dir, name)?;
            writeln!(out, "# {}", path.display())?;
            write!(out, "{}", toml::to_string_pretty(&profile)?)?;
            Ok(())
        }
        IcpCommand::Score { name, top } => {
            let profile = IcpProfile::load(&dir, name)?;
            let store = env.open_store()?;
            let report = score_store(&store, &profile, None)?;
            writeln!(out, "{}", report.summary())?;
            let ranked = store.icp_scores(&profile.name, *top)?;
            for (rank, s) in ranked.iter().enumerate() {
                writeln!(
                    out,
                    "{:>3}. {}  (company {}): prospect {:.1}, fit {:.1}",
                    rank + 1,
                    s.company_name,
                    s.company_id,
                    s.prospect,
                    s.fit
                )?;
                for r in &s.reasons {
                    if r.factor == "reach" {
                        writeln!(out, "       {:<10} {}", r.factor, r.detail)?;
                    } else {
                        writeln!(
                            out,
                            "       {:<10} {:>4.1}/{:<4.0} {}",
                            r.factor, r.points, r.max, r.detail
                        )?;
                    }
                }
            }
            Ok(())
        }
    }
}

fn list(dir: &Path, out: &mut impl Write) -> Result<()> {
    let names = list_profiles(dir)?;
    if names.is_empty() {
        writeln!(
            out,
            "no ICP profiles in {} (`nam icp new NAME` writes one)",
            crate::icp::profiles_dir(dir).display()
        )?;
        return Ok(());
    }
    for name in names {
        // A broken file is listed with its problem, not skipped.
        match IcpProfile::load(dir, &name) {
            Ok(p) => writeln!(out, "{name}\t{}", p.description)?,
            Err(e) => writeln!(out, "{name}\t(unreadable: {e:#})")?,
        }
    }
    Ok(())
}

/// Writes the starter profile `name`; an existing file is left alone.
fn new_profile(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = profile_path(dir, name)?;
    let profiles = crate::icp::profiles_dir(dir);
    std::fs::create_dir_all(&profiles)
        .with_context(|| format!("creating {}", profiles.display()))?;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} already exists; edit it or pick another name",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    file.write_all(IcpProfile::template(name).as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn new_writes_a_loadable_profile_once_and_list_shows_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_profile(dir.path(), "aero").unwrap();
        assert_eq!(IcpProfile::load(dir.path(), "aero").unwrap().name, "aero");
        std::fs::write(&path, "# mine\nindustries = [\"gears\"]\n").unwrap();
        let err = new_profile(dir.path(), "aero").unwrap_err().to_string();
        assert!(
            err.contains("aero.toml") && err.contains("already exists"),
            "{err}"
        );
        // The user's edit survived.
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("# mine")
        );
        assert!(new_profile(dir.path(), "a/b").is_err());

        std::fs::write(
            crate::icp::profiles_dir(dir.path()).join("broken.toml"),
            "industries = 3\n",
        )
        .unwrap();
        let mut out = Vec::new();
        list(dir.path(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("aero\t"), "{text}");
        assert!(
            text.contains("broken\t(unreadable") && text.contains("broken.toml:1:"),
            "{text}"
        );
    }
}
