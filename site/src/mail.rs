//! Email through lettre: the registration code and the job-event mails, each as plain text
//! and HTML (every value from a job escaped).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use rv::notify::Event;
use rv::slurm::time::format_utc;

use crate::docs::escape;

/// A message's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub plain: String,
    /// The HTML body.
    pub html: String,
}

/// An SMTP connection pool and the sender's address.
#[derive(Debug)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:port`, `smtp://user:pass@host?tls=required` for
    /// STARTTLS, `smtps://` for TLS) sending as `from`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("sender address {from:?}: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends `mail` to `to`.
    pub async fn send(&self, to: &str, mail: Mail) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("address {to:?}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.plain, mail.html))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// The mail with a registration code.
pub fn code_mail(code: &str, public_url: &str) -> Mail {
    Mail {
        subject: format!("Your rv notification code: {code}"),
        plain: format!(
            "Your code is {code}\n\nType it where `rv notify setup` asks for it. It expires in 15 minutes.\n\
             If you did not ask for it, ignore this mail: nothing is sent without the code.\n\n-- rv, {public_url}\n"
        ),
        html: format!(
            "<p>Your code is <b style=\"font-size:1.4em;letter-spacing:.1em\">{code}</b></p>\
             <p>Type it where <code>rv notify setup</code> asks for it. It expires in 15 minutes.</p>\
             <p>If you did not ask for it, ignore this mail: nothing is sent without the code.</p>\
             <p style=\"color:#718096\">rv, <a href=\"{u}\">{u}</a></p>",
            u = escape(public_url)
        ),
    }
}

/// What an event means, in words.
fn meaning(e: &Event) -> String {
    let code = e
        .code
        .map(|c| format!(" (exit code {c})"))
        .unwrap_or_default();
    match e.event.as_str() {
        "STARTED" => "started".to_owned(),
        "COMPLETED" => format!("completed{code}"),
        "FAILED" => format!("failed{code}"),
        "TIMEOUT" => "is about to reach its time limit".to_owned(),
        "CANCELLED" => "was cancelled".to_owned(),
        "LEASE_EXPIRED" => "ended itself: its client was gone and no shell was attached for \
                            longer than its lease"
            .to_owned(),
        "RESUBMITTED" => format!(
            "ran out of time in segment {}; the next segment is queued",
            e.segment
        ),
        _ => format!("sent {}", e.event),
    }
}

/// The mail `rv notify test` asks for.
fn test_mail(e: &Event, public_url: &str) -> Mail {
    let when = format_utc(e.time);
    Mail {
        subject: "[rv] test notification".to_owned(),
        plain: format!(
            "This is a test from `rv notify test` ({when}).\n\n\
             Your jobs will mail this address when they start, end, fail, near their time limit,\n\
             are cancelled, or continue in a new segment.\n\n-- rv, {public_url} (`rv notify off` stops these mails)\n"
        ),
        html: format!(
            "<p>This is a test from <code>rv notify test</code> ({}).</p>\
             <p>Your jobs will mail this address when they start, end, fail, near their time limit, \
             are cancelled, or continue in a new segment.</p>\
             <p style=\"color:#718096\">rv, <a href=\"{u}\">{u}</a> · <code>rv notify off</code> stops these mails</p>",
            escape(&when),
            u = escape(public_url)
        ),
    }
}

/// The mail for a job event.
pub fn event_mail(e: &Event, public_url: &str) -> Mail {
    if e.event == "TEST" {
        return test_mail(e, public_url);
    }
    let what = meaning(e);
    let when = format_utc(e.time);
    let node = if e.node.is_empty() { "-" } else { &e.node };
    let logs = format!("rv logs {}", e.job_id);
    let rows = [
        ("Job", format!("{} ({})", e.job_name, e.job_id)),
        ("Event", e.event.clone()),
        ("Node", node.to_owned()),
        ("Time", when.clone()),
        ("Request", e.request.clone()),
        ("Segment", e.segment.to_string()),
    ];
    let mut plain_rows = String::new();
    let mut html_rows = String::new();
    for (k, v) in &rows {
        plain_rows.push_str(&format!("{k:<8} {v}\n"));
        html_rows.push_str(&format!(
            "<tr><th align=\"left\" style=\"padding-right:1em\">{k}</th><td>{}</td></tr>",
            escape(v)
        ));
    }
    Mail {
        subject: format!("[rv] {} {}: {}", e.job_name, e.job_id, e.event),
        plain: format!(
            "Job {} {what} on {node} at {when}.\n\n{plain_rows}\nSee its output: {logs}\n\n-- rv, {public_url} (`rv notify off` stops these mails)\n",
            e.job_name
        ),
        html: format!(
            "<p>Job <b>{}</b> {}.</p><table>{html_rows}</table>\
             <p>See its output: <code>{}</code></p>\
             <p style=\"color:#718096\">rv, <a href=\"{u}\">{u}</a> · <code>rv notify off</code> stops these mails</p>",
            escape(&e.job_name),
            escape(&what),
            escape(&logs),
            u = escape(public_url)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, kind: &str, code: Option<i32>) -> Event {
        Event {
            request: "r-1-ab".into(),
            job_id: "4242".into(),
            job_name: name.into(),
            event: kind.into(),
            node: "a6000-01".into(),
            segment: 1,
            code,
            time: 1_795_891_055,
        }
    }

    #[test]
    fn event_mails_say_what_happened_where_and_how_to_see_it() {
        let m = event_mail(
            &event("train-ab-s1", "FAILED", Some(3)),
            "https://rv.example",
        );
        assert_eq!(m.subject, "[rv] train-ab-s1 4242: FAILED");
        for part in [&m.plain, &m.html] {
            assert!(part.contains("failed (exit code 3)"), "{part}");
            assert!(part.contains("a6000-01"));
            assert!(part.contains("2026-11-28 18:37:35 UTC"));
            assert!(part.contains("rv logs 4242"));
        }
        assert!(
            event_mail(&event("t", "TIMEOUT", None), "u")
                .plain
                .contains("time limit")
        );
    }

    #[test]
    fn job_values_are_escaped_in_html() {
        let m = event_mail(&event("<script>x</script>", "STARTED", None), "u");
        assert!(!m.html.contains("<script>"), "{}", m.html);
        assert!(m.html.contains("&lt;script&gt;"));
    }
}
