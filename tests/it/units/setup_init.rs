//! `shiprig::setup::init`, through its public API.

use shiprig::setup::init::*;
use shiprig::setup::templates::Wanted;

fn wanted(path: &str, content: &str) -> Wanted {
    Wanted {
        path: path.into(),
        content: content.into(),
    }
}

#[test]
fn a_user_file_is_never_overwritten_without_force() {
    let files = [wanted("a.yml", "new\n"), wanted("b.yml", "same\n")];
    let existing = |p: &str| match p {
        "a.yml" => Some("mine\n".to_string()),
        "b.yml" => Some("same\n".to_string()),
        _ => None,
    };
    let actions = plan(&files, existing, false);
    let FileAction::Refuse { diff, .. } = &actions[0] else {
        panic!("{actions:?}")
    };
    assert!(diff.contains("-mine") && diff.contains("+new"), "{diff}");
    assert_eq!(
        actions[1],
        FileAction::Unchanged {
            path: "b.yml".into()
        }
    );
    assert!(actions.iter().all(|a| !a.writes()));
    let forced = plan(&files, existing, true);
    assert!(matches!(forced[0], FileAction::Overwrite { .. }));
    assert!(forced[0].writes());
}

#[test]
fn missing_files_are_created() {
    let actions = plan(&[wanted("x/y.yml", "y\n")], |_| None, false);
    assert_eq!(
        actions,
        vec![FileAction::Create {
            path: "x/y.yml".into()
        }]
    );
}
