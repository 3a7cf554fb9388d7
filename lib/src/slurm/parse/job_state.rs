//! Job states, in their long (`RUNNING`) and compact (`R`) spellings.

use crate::slurm::ParseError;

/// The state of a job or job step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Waiting in the queue.
    Pending,
    /// Configuring its nodes before running.
    Configuring,
    /// Running.
    Running,
    /// Suspended.
    Suspended,
    /// Ending: steps and epilogs still running.
    Completing,
    /// Ended with exit code 0.
    Completed,
    /// Cancelled by a user or administrator.
    Cancelled,
    /// Ended with a non-zero exit code or another failure.
    Failed,
    /// Killed at its time limit.
    Timeout,
    /// Ended because a node failed.
    NodeFail,
    /// Preempted.
    Preempted,
    /// Killed for using too much memory.
    OutOfMemory,
    /// Could not boot its nodes.
    BootFail,
    /// Missed its deadline.
    Deadline,
    /// Being requeued.
    Requeued,
    /// Any state rv does not model, as Slurm spelt it.
    #[serde(untagged)]
    Other(String),
}

impl JobState {
    /// Parses `RUNNING`, `R`, `CANCELLED by 1001`, `CANCELLED+` (a truncated column) or `CA`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        // The common case, one bare word, without a walk over Unicode whitespace.
        let plain = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase());
        let word = if plain(s) {
            s
        } else {
            s.split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches('+')
        };
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            return Err(ParseError::new(
                "job state",
                s,
                "expected a state such as RUNNING or PD",
            ));
        }
        Ok(match word {
            "PENDING" | "PD" => JobState::Pending,
            "CONFIGURING" | "CF" => JobState::Configuring,
            "RUNNING" | "R" => JobState::Running,
            "SUSPENDED" | "S" => JobState::Suspended,
            "COMPLETING" | "CG" => JobState::Completing,
            "COMPLETED" | "CD" => JobState::Completed,
            "CANCELLED" | "CA" => JobState::Cancelled,
            "FAILED" | "F" => JobState::Failed,
            "TIMEOUT" | "TO" => JobState::Timeout,
            "NODE_FAIL" | "NF" => JobState::NodeFail,
            "PREEMPTED" | "PR" => JobState::Preempted,
            "OUT_OF_MEMORY" | "OOM" => JobState::OutOfMemory,
            "BOOT_FAIL" | "BF" => JobState::BootFail,
            "DEADLINE" | "DL" => JobState::Deadline,
            "REQUEUED" | "RQ" => JobState::Requeued,
            other => JobState::Other(other.to_owned()),
        })
    }

    /// Whether the job is over and will not run again.
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            JobState::Completed
                | JobState::Cancelled
                | JobState::Failed
                | JobState::Timeout
                | JobState::NodeFail
                | JobState::Preempted
                | JobState::OutOfMemory
                | JobState::BootFail
                | JobState::Deadline
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_long_short_and_decorated_forms() {
        assert_eq!(JobState::parse("RUNNING"), Ok(JobState::Running));
        assert_eq!(JobState::parse("R"), Ok(JobState::Running));
        assert_eq!(JobState::parse("PD"), Ok(JobState::Pending));
        assert_eq!(
            JobState::parse("CANCELLED by 1001"),
            Ok(JobState::Cancelled)
        );
        assert_eq!(JobState::parse("CANCELLED+"), Ok(JobState::Cancelled));
        assert_eq!(JobState::parse("OUT_OF_MEMORY"), Ok(JobState::OutOfMemory));
        assert_eq!(
            JobState::parse("RESV_DEL_HOLD"),
            Ok(JobState::Other("RESV_DEL_HOLD".into()))
        );
        assert!(JobState::parse("").is_err());
        assert!(JobState::parse("running").is_err());
        assert!(JobState::Timeout.is_finished());
        assert!(!JobState::Pending.is_finished());
    }
}
