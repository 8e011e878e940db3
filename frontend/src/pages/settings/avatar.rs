//! The avatar on the profile page: pick an image, see it, upload it, or remove the current
//! one.

use gmac_types::ErrorCode;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api;
use crate::components::avatar::Avatar;
use crate::components::error_banner::NoticeBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::spinner::Spinner;
use crate::js;
use crate::state::use_auth;

/// The largest image accepted, as the server has it: 512 KiB.
pub const MAX_AVATAR_BYTES: f64 = 512.0 * 1024.0;

/// The image types accepted.
pub const AVATAR_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// Checks a picked file before it is sent: its type and size.
pub fn check_avatar(size: f64, media_type: &str) -> Result<(), String> {
    if !AVATAR_TYPES.contains(&media_type) {
        return Err("Choose a PNG, JPEG or WebP image.".to_owned());
    }
    if size > MAX_AVATAR_BYTES {
        let kib = (size / 1024.0).ceil();
        return Err(format!(
            "This image is {kib} KiB; the limit is 512 KiB. Choose a smaller one."
        ));
    }
    Ok(())
}

/// The avatar card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one card: choosing, previewing, uploading and removing read best together"
)]
pub fn AvatarCard() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let picked = StoredValue::new_local(None::<web_sys::File>);
    let preview = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<html::Input>::new();
    let confirm = RwSignal::new(None::<Confirm>);

    let name = Signal::derive(move || {
        auth.with_me(|me| me.map(|m| m.display_name.clone()))
            .unwrap_or_default()
    });
    let shown = Signal::derive(move || preview.get().or_else(|| account.avatar()));
    let has_avatar = move || account.profile().is_some_and(|p| p.avatar_url.is_some());

    let forget_pick = move || {
        if let Some(url) = preview.try_get_untracked().flatten() {
            js::revoke_url(&url);
        }
        preview.set(None);
        picked.set_value(None);
        if let Some(input) = input.get_untracked() {
            input.set_value("");
        }
    };
    on_cleanup(move || {
        if let Some(url) = preview.try_get_untracked().flatten() {
            js::revoke_url(&url);
        }
    });

    let on_pick = move |_| {
        notice.set(None);
        let file = input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else { return };
        if let Err(message) = check_avatar(file.size(), &file.type_()) {
            error.set(Some(message));
            forget_pick();
            return;
        }
        error.set(None);
        if let Some(old) = preview.get_untracked() {
            js::revoke_url(&old);
        }
        preview.set(js::object_url(&file));
        picked.set_value(Some(file));
    };

    let upload = move |_| {
        let Some(file) = picked.get_value() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let media_type = file.type_();
            let Some(bytes) = js::blob_bytes(&file).await else {
                busy.set(false);
                error.set(Some("The image could not be read.".to_owned()));
                return;
            };
            let result = auth
                .call(move |c| {
                    let bytes = bytes.clone();
                    let media_type = media_type.clone();
                    async move { c.upload_avatar(bytes, &media_type).await }
                })
                .await;
            match result {
                Ok(profile) => {
                    account.set_profile(profile);
                    account.load_avatar(auth).await;
                    forget_pick();
                    notice.set(Some("Your picture is updated.".to_owned()));
                }
                Err(err) => error.set(Some(match api::code(&err) {
                    Some(ErrorCode::PayloadTooLarge) => {
                        "The image is larger than 512 KiB. Choose a smaller one.".to_owned()
                    }
                    Some(ErrorCode::UnsupportedMediaType) => {
                        "Choose a PNG, JPEG or WebP image.".to_owned()
                    }
                    _ => api::describe(&err),
                })),
            }
            busy.set(false);
        });
    };

    let remove = move |_| {
        confirm.set(Some(Confirm::danger(
            "Remove your picture?",
            "Your initials are shown instead.",
            "Remove picture",
            move || {
                busy.set(true);
                spawn_local(async move {
                    let result = auth.call(|c| async move { c.delete_avatar().await }).await;
                    busy.set(false);
                    match result {
                        Ok(()) => {
                            account.set_avatar_url(None);
                            if let Some(mut profile) = account.profile() {
                                profile.avatar_url = None;
                                account.set_profile(profile);
                            }
                            notice.set(Some("Your picture is removed.".to_owned()));
                        }
                        Err(err) => error.set(Some(api::describe(&err))),
                    }
                });
            },
        )));
    };

    view! {
        <section class="card" aria-labelledby="avatar-title">
            <h2 id="avatar-title" class="card-title">
                "Picture"
            </h2>
            <div class="card-body avatar-editor">
                <Avatar name=name url=shown large=true />
                <div class="avatar-controls">
                    <NoticeBanner message=notice />
                    <p class="muted">
                        {move || {
                            if preview.get().is_some() {
                                "This is how it will look. Upload it to use it."
                            } else {
                                "A PNG, JPEG or WebP image of at most 512 KiB. It is shown round."
                            }
                        }}
                    </p>
                    <input
                        id="avatar-file"
                        class="file-input"
                        type="file"
                        accept="image/png,image/jpeg,image/webp"
                        aria-describedby="avatar-file-error"
                        node_ref=input
                        on:change=on_pick
                    />
                    <div class="button-row">
                        <label for="avatar-file" class="button button-small">
                            <Icon name=IconName::Edit />
                            <span>"Choose image"</span>
                        </label>
                        <Show when=move || preview.get().is_some()>
                            <button
                                type="button"
                                id="upload-avatar"
                                class="button button-primary button-small"
                                disabled=move || busy.get()
                                on:click=upload
                            >
                                {move || busy.get().then(|| view! { <Spinner /> })}
                                <span>"Upload"</span>
                            </button>
                            <button
                                type="button"
                                class="button button-small"
                                disabled=move || busy.get()
                                on:click=move |_| forget_pick()
                            >
                                "Cancel"
                            </button>
                        </Show>
                        <Show when=move || preview.get().is_none() && has_avatar()>
                            <button
                                type="button"
                                id="remove-avatar"
                                class="button button-small button-danger-quiet"
                                disabled=move || busy.get()
                                on:click=remove
                            >
                                <Icon name=IconName::Trash />
                                <span>"Remove"</span>
                            </button>
                        </Show>
                    </div>
                    <div id="avatar-file-error" class="field-errors">
                        {move || error.get().map(|message| view! { <p class="field-error">{message}</p> })}
                    </div>
                </div>
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::check_avatar;

    #[test]
    fn avatars_are_checked_before_upload() {
        assert!(check_avatar(1000.0, "image/png").is_ok());
        assert!(check_avatar(512.0 * 1024.0, "image/webp").is_ok());
        assert!(
            check_avatar(512.0 * 1024.0 + 1.0, "image/jpeg").is_err_and(|m| m.contains("513 KiB"))
        );
        assert!(check_avatar(10.0, "image/gif").is_err());
        assert!(check_avatar(10.0, "image/svg+xml").is_err());
    }
}
