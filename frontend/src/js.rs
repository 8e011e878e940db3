//! The few browser APIs the pages need beyond the DOM: promises as futures, `blob:` URLs,
//! downloads, the clipboard, the location hash and dates in a time zone (through `Intl`, so
//! no time-zone database ships in the WebAssembly).
//!
//! Everything here fails softly: a browser without an API gets `None` or `Err`, never a panic.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, Utc};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};

type Settled = Option<Result<JsValue, JsValue>>;

struct PromiseState {
    settled: Settled,
    waker: Option<Waker>,
}

type Callback = Closure<dyn FnMut(JsValue)>;

/// A JavaScript promise as a Rust future.
struct PromiseFuture {
    state: Rc<RefCell<PromiseState>>,
    // Kept alive until the promise settles; dropped with the future.
    _callbacks: (Callback, Callback),
}

impl Future for PromiseFuture {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.borrow_mut();
        if let Some(result) = state.settled.take() {
            return Poll::Ready(result);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Waits for `promise` to settle.
pub fn await_promise(promise: &Promise) -> impl Future<Output = Result<JsValue, JsValue>> {
    let state = Rc::new(RefCell::new(PromiseState {
        settled: None,
        waker: None,
    }));
    let settle = |state: Rc<RefCell<PromiseState>>, ok: bool| {
        Closure::new(move |value: JsValue| {
            let waker = {
                let mut state = state.borrow_mut();
                state.settled = Some(if ok { Ok(value) } else { Err(value) });
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })
    };
    let resolve = settle(Rc::clone(&state), true);
    let reject = settle(Rc::clone(&state), false);
    // The promise `then` returns is not needed: the callbacks carry the outcome.
    let _chained = promise.then2(&resolve, &reject);
    PromiseFuture {
        state,
        _callbacks: (resolve, reject),
    }
}

/// The bytes of a blob (or a file the user picked).
pub async fn blob_bytes(blob: &web_sys::Blob) -> Option<Vec<u8>> {
    let buffer = await_promise(&blob.array_buffer()).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

/// A blob of `bytes` with the media type `media_type`.
pub fn blob_of(bytes: &[u8], media_type: &str) -> Option<web_sys::Blob> {
    let parts = Array::of1(&Uint8Array::from(bytes).into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

/// A `blob:` URL for `blob`; pair with [`revoke_url`] when it is no longer shown.
pub fn object_url(blob: &web_sys::Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

/// Frees a `blob:` URL made by [`object_url`].
pub fn revoke_url(url: &str) {
    if web_sys::Url::revoke_object_url(url).is_err() {
        leptos::logging::warn!("could not revoke a blob URL");
    }
}

/// Offers `bytes` as a download named `file_name`.
pub fn download(bytes: &[u8], media_type: &str, file_name: &str) -> bool {
    let Some(blob) = blob_of(bytes, media_type) else {
        return false;
    };
    let Some(url) = object_url(&blob) else {
        return false;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    let done = anchor.is_some_and(|a| {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
        true
    });
    // The click has handed the URL to the download already.
    revoke_url(&url);
    done
}

/// Copies `text` to the clipboard. `false` when the browser refused (no permission, not a
/// secure context).
pub async fn copy_text(text: &str) -> bool {
    let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
        return false;
    };
    await_promise(&clipboard.write_text(text)).await.is_ok()
}

/// The part of the address after `#`, if any.
pub fn location_hash() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let hash = hash.strip_prefix('#').unwrap_or(&hash);
    (!hash.is_empty()).then(|| hash.to_owned())
}

/// The browser's own time zone, e.g. `Europe/Berlin`.
pub fn browser_time_zone() -> Option<String> {
    let formatter = date_time_format(None)?;
    let resolved: Function = Reflect::get(&formatter, &"resolvedOptions".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Reflect::apply(&resolved, &formatter, &Array::new()).ok()?;
    Reflect::get(&options, &"timeZone".into()).ok()?.as_string()
}

/// Whether the browser knows the IANA time zone `zone`.
pub fn is_time_zone(zone: &str) -> bool {
    date_time_format(Some(zone)).is_some()
}

thread_local! {
    /// The last formatter made, by time zone: building one is slow, and pages format many
    /// times in the same zone.
    static FORMATTER: RefCell<Option<(Option<String>, JsValue)>> = const { RefCell::new(None) };
}

/// `at` as a date and time in the time zone `zone` (the browser's when `None` or unknown),
/// e.g. "22 Nov 2026, 14:03:07 CET". `None` when the browser cannot format it.
pub fn format_date_time(at: &DateTime<Utc>, zone: Option<&str>) -> Option<String> {
    let zone = zone
        .filter(|z| !z.is_empty())
        .map(str::to_owned)
        .filter(|z| is_time_zone(z));
    let formatter = FORMATTER.with(|cell| {
        let mut cached = cell.borrow_mut();
        match cached.as_ref() {
            Some((cached_zone, formatter)) if *cached_zone == zone => Some(formatter.clone()),
            _ => {
                let formatter = date_time_format(zone.as_deref())?;
                *cached = Some((zone, formatter.clone()));
                Some(formatter)
            }
        }
    })?;
    let format: Function = Reflect::get(&formatter, &"format".into())
        .ok()?
        .dyn_into()
        .ok()?;
    #[expect(
        clippy::cast_precision_loss,
        reason = "milliseconds since 1970 stay far below 2^53"
    )]
    let millis = at.timestamp_millis() as f64;
    let date = web_sys::js_sys::Date::new(&JsValue::from_f64(millis));
    Reflect::apply(&format, &formatter, &Array::of1(&date))
        .ok()?
        .as_string()
}

/// `new Intl.DateTimeFormat(undefined, {...})`, or `None` when the zone is unknown (the
/// constructor throws, which `Reflect.construct` turns into an `Err`).
fn date_time_format(zone: Option<&str>) -> Option<JsValue> {
    let intl = Reflect::get(&web_sys::js_sys::global(), &"Intl".into()).ok()?;
    let constructor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    let fields = [
        ("year", "numeric"),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("second", "2-digit"),
        ("hourCycle", "h23"),
        ("timeZoneName", "short"),
    ];
    for (key, value) in fields {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    if let Some(zone) = zone {
        Reflect::set(&options, &"timeZone".into(), &zone.into()).ok()?;
    }
    Reflect::construct(&constructor, &Array::of2(&JsValue::UNDEFINED, &options)).ok()
}

/// The current time, from the browser's clock (`std`'s clock does not exist in the browser).
pub fn now() -> DateTime<Utc> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "milliseconds since 1970 fit an i64 for the next 290 million years"
    )]
    let millis = web_sys::js_sys::Date::now() as i64;
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Waits `millis` milliseconds (a `setTimeout` as a future); at once if the browser has no
/// window.
pub async fn sleep(millis: i32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = Promise::new(&mut |resolve, _reject| {
        if window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
            .is_err()
        {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = await_promise(&promise).await;
}

/// The browser's `localStorage`, when it can be used: it can be switched off (private modes,
/// policies), and what is kept there then lasts a page load.
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
