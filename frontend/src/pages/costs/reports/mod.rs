//! `/costs/reports`: a month of costs for everything, a team or a user against the month
//! before (its days, its services, and the members or teams inside; as PDF or CSV too), and
//! the schedules that email it, which those who manage costs create, send now and delete.

pub mod download;
pub mod edit;
pub mod form;
pub mod invoice;
pub mod schedules;
pub mod selection;
pub mod viewer;

use crate::api::PAGE_SIZE;
use gmac_client::Client;
use gmac_types::PageQuery;
use gmac_types::{Permission, ReportSchedule};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::day_label;
use crate::pages::costs::directory::use_cost_directory;
use crate::pages::costs::reports::form::NewScheduleForm;
use crate::pages::costs::reports::schedules::{DeliveryResult, ScheduleTable, Sent};
use crate::pages::costs::reports::selection::ReportSelection;
use crate::pages::costs::reports::viewer::{MonthlyReportView, ReportControls};
use crate::pages::costs::tabs::CostHeader;
use crate::state::use_auth;

/// The reports page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the schedules' list, its rows' actions and the form share the page's state"
)]
pub fn ReportsPage() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::CostsManage);
    let query = use_query_map();
    let navigate = use_navigate();
    let today = crate::js::now().date_naive();
    let selection = Memo::new(move |_| query.with(|q| ReportSelection::parse(|k| q.get(k), today)));
    let show = Callback::new(move |next: ReportSelection| {
        let options = NavigateOptions {
            replace: true,
            scroll: false,
            ..NavigateOptions::default()
        };
        navigate(&format!("/costs/reports{}", next.search()), options);
    });
    let directory = use_cost_directory(auth);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let editing = RwSignal::new(None::<gmac_types::ReportSchedule>);
    let sent = RwSignal::new(None::<Sent>);
    let list = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_report_schedules(&page).await }
        })
        .await
    });
    let empty = Signal::derive(move || {
        if manages() {
            "No report is scheduled yet. Schedule the first one below.".to_owned()
        } else {
            "No report is scheduled yet. Someone who manages costs schedules them.".to_owned()
        }
    });
    let on_created = Callback::new(move |schedule: ReportSchedule| {
        error.set(None);
        notice.set(Some(format!(
            "The report “{}” is scheduled; it is first sent on {}.",
            schedule.name,
            day_label(schedule.next_run)
        )));
        list.prepend(schedule);
    });
    let on_sent = Callback::new(move |delivery: Sent| {
        notice.set(None);
        error.set(None);
        sent.set(Some(delivery));
        // The rows show when each was last sent and whether that failed; reloaded in place,
        // without the list's loading state.
        spawn_local(async move {
            if let Ok(all) = auth
                .call(|c| async move {
                    Client::all_pages(|page| {
                        let c = &c;
                        async move { c.list_report_schedules(&page).await }
                    })
                    .await
                })
                .await
            {
                for schedule in all {
                    list.replace(|s| s.id == schedule.id, &schedule);
                }
            }
        });
    });
    let on_deleted = Callback::new(move |schedule: ReportSchedule| {
        sent.set(None);
        notice.set(Some(format!(
            "The schedule “{}” was deleted.",
            schedule.name
        )));
        list.remove(|s| s.id == schedule.id);
    });
    let on_error = Callback::new(move |message: String| {
        notice.set(None);
        error.set(Some(message));
    });
    view! {
        <CostHeader
            title="Reports"
            summary="A month of costs for everything, a team or a person, against the month before. \
                     Download it as PDF or CSV, or have it emailed monthly or weekly."
        >
            <Show when=manages>
                <a href="#new-schedule" class="button">
                    <Icon name=IconName::Plus />
                    <span>"Schedule a report"</span>
                </a>
            </Show>
        </CostHeader>
        <ReportControls selection=selection show=show directory=directory today=today />
        <MonthlyReportView selection=selection today=today />
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <section class="card section-gap" id="report-schedules-card" aria-labelledby="report-schedules-title">
            <header class="card-header">
                <div>
                    <h2 id="report-schedules-title">"Scheduled reports"</h2>
                    <p class="muted card-sub">
                        "Emailed with the report attached. Monthly ones go out on the 1st, weekly ones on Mondays (UTC)."
                    </p>
                </div>
            </header>
            <DeliveryResult sent=sent />
            <ListState list=list loading="Loading schedules…" empty=empty />
            <Show when=move || !list.with_items(<[ReportSchedule]>::is_empty)>
                <ScheduleTable
                    list=list
                    directory=directory
                    confirm=confirm
                    on_sent=on_sent
                    on_deleted=on_deleted
                    on_error=on_error
                    editing=editing
                />
            </Show>
            <LoadMore list=list />
        </section>
        {move || {
            editing
                .get()
                .map(|schedule| {
                    view! {
                        <edit::EditScheduleForm
                            schedule=schedule
                            on_saved=Callback::new(move |saved: gmac_types::ReportSchedule| {
                                editing.set(None);
                                error.set(None);
                                notice.set(Some(format!("Schedule “{}” is changed.", saved.name)));
                                list.reload();
                            })
                            on_cancel=Callback::new(move |()| {
                                editing.set(None);
                                list.reload();
                            })
                        />
                    }
                })
        }}
        <Show when=manages>
            <NewScheduleForm
                directory=directory
                on_created=on_created
                on_start=Callback::new(move |()| {
                    notice.set(None);
                    error.set(None);
                })
            />
        </Show>
        <ConfirmDialog request=confirm />
    }
}
