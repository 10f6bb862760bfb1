//! The machine a service runs on, and where that knowledge came from.

use std::fmt;

/// Storage class of the target machine; it decides planner costs (PGS005, PGS009).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    Ssd,
    Hdd,
}

impl Storage {
    pub fn parse(s: &str) -> Option<Storage> {
        match s.to_ascii_lowercase().as_str() {
            "ssd" | "nvme" => Some(Storage::Ssd),
            "hdd" | "disk" | "spinning" => Some(Storage::Hdd),
            _ => None,
        }
    }
}

/// Where a target value came from; messages cite it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSource {
    /// `--target` on the command line.
    CommandLine,
    /// `[target]` in the named configuration file.
    Config(String),
    /// `deploy.resources.limits` of a compose service.
    ComposeLimit { service: String },
    /// Nothing declared: the documented default (4 CPUs, 8 GiB, SSD).
    Default,
}

impl fmt::Display for TargetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSource::CommandLine => f.write_str("from --target"),
            TargetSource::Config(path) => write!(f, "from [target] in {path}"),
            TargetSource::ComposeLimit { service } => write!(f, "from the compose limits of service `{service}`"),
            TargetSource::Default => f.write_str("assumed: declare [target]"),
        }
    }
}

/// The machine: CPUs (may be fractional from compose limits), memory in bytes, storage.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub cpus: f64,
    pub memory: u64,
    pub storage: Storage,
    pub cpus_source: TargetSource,
    pub memory_source: TargetSource,
}

pub const GIB: u64 = 1024 * 1024 * 1024;
pub const MIB: u64 = 1024 * 1024;

impl Default for Target {
    fn default() -> Self {
        Self { cpus: 4.0, memory: 8 * GIB, storage: Storage::Ssd, cpus_source: TargetSource::Default, memory_source: TargetSource::Default }
    }
}

impl Target {
    /// Whole CPUs a process can use: fractional limits round up (1.5 CPUs run 2 threads at once).
    pub fn whole_cpus(&self) -> u32 {
        let c = self.cpus.ceil();
        #[allow(clippy::cast_sign_loss)] // c >= 1 here
        if c < 1.0 { 1 } else if c > f64::from(u32::MAX) { u32::MAX } else { c as u32 }
    }

    /// "4 CPUs" / "1.5 CPUs" as written in messages.
    pub fn cpus_text(&self) -> String {
        if (self.cpus - self.cpus.round()).abs() < f64::EPSILON {
            format!("{} CPU{}", self.cpus.round(), if (self.cpus - 1.0).abs() < f64::EPSILON { "" } else { "s" })
        } else {
            format!("{} CPUs", self.cpus)
        }
    }

    pub fn memory_text(&self) -> String {
        format_bytes(self.memory)
    }

    /// Parse `cpus=4,memory=8GiB[,storage=ssd]` (the `--target` syntax); missing keys stay as in `self`.
    pub fn with_spec(mut self, spec: &str, source: TargetSource) -> Result<Target, String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("expected `key=value` in `{part}`"))?;
            match key.trim() {
                "cpus" => {
                    self.cpus = parse_cpus(value.trim())?;
                    self.cpus_source = source.clone();
                }
                "memory" => {
                    self.memory = parse_memory(value.trim())?;
                    self.memory_source = source.clone();
                }
                "storage" => {
                    self.storage = Storage::parse(value.trim()).ok_or_else(|| format!("unknown storage `{value}`: expected `ssd` or `hdd`"))?;
                }
                other => return Err(format!("unknown target key `{other}`: expected `cpus`, `memory` or `storage`")),
            }
        }
        Ok(self)
    }
}

pub fn parse_cpus(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("invalid CPU count `{value}`: expected a positive number")),
    }
}

/// Parse a memory size: `8GiB`, `8G`, `512MiB`, `512m`, `1.5GB`, or bytes. Docker and compose
/// read `g`/`m`/`k` as binary units, and so do we.
pub fn parse_memory(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid memory size `{value}`: expected e.g. `8GiB` or `512MiB`"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        "t" | "tb" | "tib" => 1024 * GIB,
        _ => return Err(format!("invalid memory unit in `{value}`: expected B, KiB, MiB, GiB or TiB")),
    };
    #[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]
    let bytes = (n * mult as f64).round() as u64;
    if bytes == 0 {
        return Err(format!("invalid memory size `{value}`: must be above zero"));
    }
    Ok(bytes)
}

/// `8 GiB`, `256 MiB`, `1.5 GiB`, `300 KiB`.
pub fn format_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = |unit: u64, name: &str| {
        let v = bytes as f64 / unit as f64;
        if (v - v.round()).abs() < 1e-9 { format!("{} {name}", v.round()) } else { format!("{v:.1} {name}") }
    };
    if bytes >= GIB { f(GIB, "GiB") } else if bytes >= MIB { f(MIB, "MiB") } else if bytes >= 1024 { f(1024, "KiB") } else { format!("{bytes} B") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_and_units() {
        let t = Target::default().with_spec("cpus=1.5,memory=3G", TargetSource::CommandLine).unwrap();
        assert_eq!(t.whole_cpus(), 2);
        assert_eq!(t.memory, 3 * GIB);
        assert_eq!(t.cpus_text(), "1.5 CPUs");
        assert_eq!(Target::default().cpus_text(), "4 CPUs");
        assert_eq!(parse_memory("256M").unwrap(), 256 * MIB);
        assert_eq!(format_bytes(256 * MIB), "256 MiB");
        assert!(Target::default().with_spec("cpu=2", TargetSource::CommandLine).unwrap_err().contains("unknown target key"));
        assert!(parse_memory("lots").is_err());
    }
}
