//! Why a command failed, and so how it exits: every command and the work it calls return
//! [`Error`], and [`Kind::exit_code`] is the one place a failure becomes an exit code.

use std::fmt::Display;

use crate::exit;

/// What kind of failure ended a command; it decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input was wrong (a flag, a duration, an NDJSON line, the configuration): nothing
    /// was submitted or changed.
    Usage,
    /// The cluster or the connection said no, or could not be reached.
    Cluster,
    /// What was named is not there (a job, a variable), or a job could not start or be
    /// followed.
    Job,
    /// Ctrl-C or SIGTERM, after cleaning up.
    Interrupted,
    /// This machine failed rv: a file, the terminal, the runtime.
    Internal,
}

impl Kind {
    /// The documented exit code of this kind of failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => exit::USAGE,
            Kind::Cluster | Kind::Job | Kind::Internal => exit::FAILURE,
            Kind::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// How much of a failure is still to be said when the command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    /// Nothing yet: the message goes to stderr and an `error` record to stdout.
    Nothing,
    /// An upstream stage's `error` record was passed on: only the message is left.
    Record,
    /// Everything (or there is nothing to say, as after Ctrl-C).
    All,
}

/// A command's failure: a one-line message and its [`Kind`].
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: Kind,
    message: String,
    said: Said,
}

impl Error {
    /// A failure of `kind` with a one-line `message`.
    pub fn new(kind: Kind, message: impl Display) -> Self {
        Error {
            kind,
            message: message.to_string(),
            said: Said::Nothing,
        }
    }

    /// Bad input: a flag, a value, a line of NDJSON, the configuration.
    pub fn usage(message: impl Display) -> Self {
        Error::new(Kind::Usage, message)
    }

    /// The cluster or the connection failed.
    pub fn cluster(message: impl Display) -> Self {
        Error::new(Kind::Cluster, message)
    }

    /// What was named is not there, or a job could not start or be followed.
    pub fn job(message: impl Display) -> Self {
        Error::new(Kind::Job, message)
    }

    /// This machine failed rv.
    pub fn internal(message: impl Display) -> Self {
        Error::new(Kind::Internal, message)
    }

    /// Interrupted by the user, after cleaning up; nothing more to say.
    pub fn interrupted() -> Self {
        Error {
            kind: Kind::Interrupted,
            message: "interrupted".into(),
            said: Said::All,
        }
    }

    /// A failure already explained on stderr (as it happened): only the exit code is left.
    pub fn said(kind: Kind) -> Self {
        Error {
            kind,
            message: String::new(),
            said: Said::All,
        }
    }

    /// An upstream stage's failure, whose `error` record was passed on unchanged.
    pub fn upstream(message: impl Display) -> Self {
        Error {
            said: Said::Record,
            ..Error::cluster(message)
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether the message is still to be said on stderr.
    pub fn unsaid(&self) -> bool {
        self.said != Said::All
    }

    /// Whether an `error` record is still to be written for the stages after this one.
    pub fn unrecorded(&self) -> bool {
        self.said == Said::Nothing
    }

    /// The same failure, its message prefixed (`--time: …`).
    #[must_use]
    pub fn context(self, prefix: impl Display) -> Self {
        Error {
            message: format!("{prefix}: {}", self.message),
            ..self
        }
    }

    /// The same failure, with a remark after its message (`… (any job … keeps its gate)`).
    #[must_use]
    pub fn context_after(self, remark: impl Display) -> Self {
        Error {
            message: format!("{} ({remark})", self.message),
            ..self
        }
    }
}

impl From<crate::config::ConfigError> for Error {
    fn from(e: crate::config::ConfigError) -> Self {
        Error::usage(e)
    }
}

impl From<crate::profile::ProfileError> for Error {
    fn from(e: crate::profile::ProfileError) -> Self {
        Error::usage(e)
    }
}

impl From<crate::records::RecordError> for Error {
    fn from(e: crate::records::RecordError) -> Self {
        Error::usage(e)
    }
}

impl From<crate::remote::transport::TransportError> for Error {
    fn from(e: crate::remote::transport::TransportError) -> Self {
        Error::cluster(e)
    }
}

impl From<crate::slurm::ParseError> for Error {
    fn from(e: crate::slurm::ParseError) -> Self {
        Error::cluster(e)
    }
}

impl From<crate::remote::transport::RemoteError> for Error {
    fn from(e: crate::remote::transport::RemoteError) -> Self {
        match e {
            // Where rv writes is configuration.
            crate::remote::transport::RemoteError::Upload { .. } => Error::usage(e),
            e => Error::cluster(e),
        }
    }
}

impl From<crate::probe::ProbeError> for Error {
    fn from(e: crate::probe::ProbeError) -> Self {
        Error::cluster(e)
    }
}

impl From<crate::secrets::SecretsError> for Error {
    fn from(e: crate::secrets::SecretsError) -> Self {
        Error::internal(e)
    }
}

impl From<crate::jobs::ResolveError> for Error {
    fn from(e: crate::jobs::ResolveError) -> Self {
        Error::job(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_documented_exit_code() {
        assert_eq!(Kind::Usage.exit_code(), 2);
        assert_eq!(Kind::Cluster.exit_code(), 1);
        assert_eq!(Kind::Job.exit_code(), 1);
        assert_eq!(Kind::Internal.exit_code(), 1);
        assert_eq!(Kind::Interrupted.exit_code(), 130);
    }

    #[test]
    fn context_prefixes_the_message_and_keeps_the_kind() {
        let e = Error::usage("expected a number").context("--time");
        assert_eq!(e.to_string(), "--time: expected a number");
        assert_eq!(e.kind(), Kind::Usage);
    }
}
