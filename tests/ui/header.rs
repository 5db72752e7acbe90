//! The header names the target unmistakably at every width.

use kinesis_console::target::Target;
use kinesis_console::ui::action::{Action, Data, Loaded, Source};

use super::render::{app, local_target, screen};

fn first_line(screen: &str) -> String {
    screen.lines().next().unwrap_or_default().to_string()
}

#[test]
fn the_target_badge_is_first_on_the_first_row_from_wide_to_tiny() {
    let mut local = app(local_target(), true);
    for (w, h) in [(120, 40), (80, 24), (20, 3), (7, 1)] {
        let top = first_line(&screen(&mut local, w, h));
        assert!(top.starts_with(" LOCAL") || top.starts_with(" LOCA"), "{w}×{h}: {top:?}");
    }
    let endpoint = Target::Endpoint { url: "http://127.0.0.1:4599".into(), region: None };
    let top = first_line(&screen(&mut app(endpoint, true), 80, 24));
    assert!(top.starts_with(" ENDPOINT http://127.0.0.1:4599 "), "{top:?}");
}

#[test]
fn on_aws_the_badge_gains_the_account_once_sts_answers() {
    let aws = Target::Aws { profile: Some("prod".into()), region: Some("eu-west-1".into()) };
    let mut app = app(aws, true);
    let jobs = app.start();
    let identity = jobs.iter().find(|j| j.source == Source::Identity).expect("the header asks who this is");
    let before = first_line(&screen(&mut app, 120, 40));
    assert!(before.starts_with(" AWS (account …) profile prod region eu-west-1 "), "{before:?}");
    app.update(Action::Loaded(Loaded {
        source: Source::Identity,
        generation: identity.generation,
        result: Ok(Data::Identity { account: "123456789012".into() }),
    }));
    let after = first_line(&screen(&mut app, 120, 40));
    assert!(after.starts_with(" AWS 123456789012 profile prod region eu-west-1 "), "{after:?}");
}
