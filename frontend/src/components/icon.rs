//! Inline SVG icons (24×24, stroked with `currentColor`), so they follow the text colour and
//! need no requests, fonts or inline styles.

use leptos::prelude::*;

/// The icons the interface uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    /// The gmac mark: stacked layers.
    Logo,
    /// Home.
    Home,
    /// Services: a server rack.
    Server,
    /// Functions: a lightning bolt.
    Bolt,
    /// Databases: a cylinder.
    Database,
    /// Costs: a coin.
    Coins,
    /// Monitoring: a pulse line.
    Activity,
    /// Access control: a shield with a check.
    Shield,
    /// Audit log: a list.
    List,
    /// Settings: sliders.
    Sliders,
    /// The menu button.
    Menu,
    /// Close.
    Close,
    /// A chevron pointing down.
    ChevronDown,
    /// Sign out.
    SignOut,
    /// An alert in a circle.
    Alert,
    /// Information in a circle.
    Info,
    /// An arrow pointing right.
    ArrowRight,
    /// A compass, for "not found".
    Compass,
    /// The sun (light theme).
    Sun,
    /// The moon (dark theme).
    Moon,
    /// A monitor (system theme).
    Monitor,
    /// A refresh arrow.
    Refresh,
    /// A magnifying glass (filters).
    Search,
    /// A plus (create).
    Plus,
    /// A bin (delete).
    Trash,
    /// A pencil (edit).
    Edit,
    /// Two sheets (copy).
    Copy,
    /// An arrow into a tray (download).
    Download,
    /// An arrow out of a tray (upload).
    Upload,
    /// One person.
    User,
    /// Several people (teams).
    Users,
    /// A key (tokens).
    Key,
    /// A padlock (security).
    Lock,
    /// An envelope (invitations).
    Mail,
    /// A check mark.
    Check,
    /// A building (clients).
    Building,
    /// A folder (projects).
    Folder,
    /// A chevron pointing right.
    ChevronRight,
    /// A chevron pointing left.
    ChevronLeft,
    /// Notifications.
    Bell,
    /// A budget: a target.
    Target,
    /// Allocation: one path splitting in two.
    Split,
    /// A cloud account.
    Cloud,
}

impl IconName {
    /// The path data of the icon's strokes.
    #[expect(
        clippy::too_many_lines,
        reason = "one table of path data, an entry per icon"
    )]
    const fn paths(self) -> &'static [&'static str] {
        match self {
            IconName::Logo => &[
                "M12 2 2 7l10 5 10-5-10-5z",
                "m2 17 10 5 10-5",
                "m2 12 10 5 10-5",
            ],
            IconName::Home => &["M3 10.5 12 3l9 7.5", "M5 9.5V21h14V9.5", "M10 21v-6h4v6"],
            IconName::Server => &[
                "M5 4h14a1 1 0 0 1 1 1v4a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z",
                "M5 14h14a1 1 0 0 1 1 1v4a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1v-4a1 1 0 0 1 1-1z",
                "M8 7h.01",
                "M8 17h.01",
            ],
            IconName::Bolt => &["M13 2 4 14h7l-1 8 9-12h-7l1-8z"],
            IconName::Database => &[
                "M4 6c0-1.66 3.58-3 8-3s8 1.34 8 3-3.58 3-8 3-8-1.34-8-3z",
                "M4 6v12c0 1.66 3.58 3 8 3s8-1.34 8-3V6",
                "M4 12c0 1.66 3.58 3 8 3s8-1.34 8-3",
            ],
            IconName::Coins => &[
                "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z",
                "M15 9.5c-.5-1-1.6-1.5-3-1.5-1.7 0-3 .8-3 2s1.3 1.7 3 2 3 .8 3 2-1.3 2-3 2c-1.4 0-2.5-.5-3-1.5",
                "M12 6.5v11",
            ],
            IconName::Activity => &["M3 12h4l3-8 4 16 3-8h4"],
            IconName::Shield => &[
                "M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3z",
                "m9 12 2 2 4-4",
            ],
            IconName::List => &[
                "M9 6h11",
                "M9 12h11",
                "M9 18h11",
                "M4 6h.01",
                "M4 12h.01",
                "M4 18h.01",
            ],
            IconName::Sliders => &[
                "M4 21v-7",
                "M4 10V3",
                "M12 21v-9",
                "M12 8V3",
                "M20 21v-5",
                "M20 12V3",
                "M2 14h4",
                "M10 8h4",
                "M18 16h4",
            ],
            IconName::Menu => &["M4 6h16", "M4 12h16", "M4 18h16"],
            IconName::Close => &["M6 6l12 12", "M18 6 6 18"],
            IconName::ChevronDown => &["m6 9 6 6 6-6"],
            IconName::SignOut => &[
                "M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4",
                "m16 17 5-5-5-5",
                "M21 12H9",
            ],
            IconName::Alert => &[
                "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z",
                "M12 8v4",
                "M12 16h.01",
            ],
            IconName::Info => &[
                "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z",
                "M12 16v-4",
                "M12 8h.01",
            ],
            IconName::ArrowRight => &["M5 12h14", "m12 5 7 7-7 7"],
            IconName::Compass => &[
                "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z",
                "m16 8-2 6-6 2 2-6 6-2z",
            ],
            IconName::Sun => &[
                "M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
                "M12 2v2",
                "M12 20v2",
                "m4.93 4.93 1.41 1.41",
                "m17.66 17.66 1.41 1.41",
                "M2 12h2",
                "M20 12h2",
                "m6.34 17.66-1.41 1.41",
                "m19.07 4.93-1.41 1.41",
            ],
            IconName::Moon => &["M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"],
            IconName::Monitor => &[
                "M4 4h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z",
                "M8 20h8",
                "M12 16v4",
            ],
            IconName::Refresh => &["M21 12a9 9 0 1 1-2.64-6.36", "M21 3v6h-6"],
            IconName::Search => &["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "m20 20-4-4"],
            IconName::Plus => &["M12 5v14", "M5 12h14"],
            IconName::Trash => &[
                "M4 7h16",
                "M10 11v6",
                "M14 11v6",
                "M6 7l1 13h10l1-13",
                "M9 7V4h6v3",
            ],
            IconName::Edit => &["M4 20h4L19 9l-4-4L4 16v4z", "m13.5 6.5 4 4"],
            IconName::Copy => &[
                "M9 9h10a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H9a1 1 0 0 1-1-1V10a1 1 0 0 1 1-1z",
                "M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1",
            ],
            IconName::Download => &["M12 4v11", "m7 10 5 5 5-5", "M4 20h16"],
            IconName::Upload => &["M12 15V4", "m7 9 5-5 5 5", "M4 20h16"],
            IconName::User => &[
                "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
                "M4 21a8 8 0 0 1 16 0",
            ],
            IconName::Users => &[
                "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
                "M2 21a7 7 0 0 1 14 0",
                "M16 3.5a4 4 0 0 1 0 7",
                "M18 14a7 7 0 0 1 4 7",
            ],
            IconName::Key => &[
                "M8 15a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
                "M12 11h9",
                "M18 11v3",
                "M21 11v2",
            ],
            IconName::Lock => &[
                "M6 11h12a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1z",
                "M8 11V7a4 4 0 0 1 8 0v4",
            ],
            IconName::Mail => &[
                "M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z",
                "m3 7 9 6 9-6",
            ],
            IconName::Check => &["m5 12 5 5 9-10"],
            IconName::Building => &[
                "M5 21V4a1 1 0 0 1 1-1h8a1 1 0 0 1 1 1v17",
                "M15 9h3a1 1 0 0 1 1 1v11",
                "M3 21h18",
                "M9 7h2",
                "M9 11h2",
                "M9 15h2",
            ],
            IconName::Folder => {
                &["M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6z"]
            }
            IconName::ChevronRight => &["m9 6 6 6-6 6"],
            IconName::ChevronLeft => &["m15 6-6 6 6 6"],
            IconName::Bell => &[
                "M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9",
                "M10.3 21a1.94 1.94 0 0 0 3.4 0",
            ],
            IconName::Target => &[
                "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z",
                "M12 18a6 6 0 1 0 0-12 6 6 0 0 0 0 12z",
                "M12 14a2 2 0 1 0 0-4 2 2 0 0 0 0 4z",
            ],
            IconName::Split => &[
                "M16 3h5v5",
                "M8 3H3v5",
                "M12 22v-8.3a4 4 0 0 0-1.17-2.87L3 3",
                "m15 9 6-6",
            ],
            IconName::Cloud => &["M17.5 19H7a5 5 0 1 1 .9-9.9A6 6 0 0 1 19 11a4 4 0 0 1-1.5 8z"],
        }
    }
}

/// An icon, hidden from assistive technology (the text next to it says what it means).
#[component]
pub fn Icon(
    /// Which icon.
    name: IconName,
    /// Extra classes, e.g. for size.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let class = if class.is_empty() {
        "icon".to_owned()
    } else {
        format!("icon {class}")
    };
    view! {
        <svg
            class=class
            viewBox="0 0 24 24"
            width="24"
            height="24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            {name.paths().iter().map(|d| view! { <path d=*d></path> }).collect_view()}
        </svg>
    }
}
