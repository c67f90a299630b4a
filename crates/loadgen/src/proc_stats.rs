//! The server process's CPU time and resident memory, read from `/proc` (Linux).

use std::time::Duration;

/// One reading of a process's resource use.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcReading {
    /// User plus system CPU time consumed so far.
    pub cpu: Duration,
    /// Resident set size now, in bytes.
    pub rss_bytes: u64,
    /// Peak resident set size so far (VmHWM), in bytes.
    pub peak_rss_bytes: u64,
}

/// Reads `/proc/<pid>`; `None` if the process is gone or the files are unreadable.
pub fn read(pid: u32) -> Option<ProcReading> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, which is 100 on every architecture it runs on today.
    let cpu = Duration::from_millis(ticks * 10);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ProcReading {
        cpu,
        rss_bytes: kib("VmRSS:")? * 1024,
        peak_rss_bytes: kib("VmHWM:")? * 1024,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_process() {
        let me = super::read(std::process::id()).expect("own /proc entry");
        assert!(me.rss_bytes > 0 && me.peak_rss_bytes >= me.rss_bytes);
    }
}
