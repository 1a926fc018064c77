//! The code field's helpers: reading a pasted code, and the WebOTP API that fills it in from
//! the SMS's last line (`@host #code`) on phones whose browser has it.

use crate::wire;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// Asks the browser for the code of the next SMS meant for this site and calls `found` with
/// it; `None` where the browser has no WebOTP. Aborting the controller ends the wait.
pub fn listen_for_sms(found: impl FnOnce(String) + 'static) -> Option<web_sys::AbortController> {
    let window = web_sys::window()?;
    if !Reflect::has(&window, &"OTPCredential".into()).unwrap_or(false) {
        return None;
    }
    let credentials = wire::field(&wire::field(&window, "navigator"), "credentials");
    let get: js_sys::Function = wire::field(&credentials, "get").dyn_into().ok()?;
    let abort = web_sys::AbortController::new().ok()?;
    let otp = Object::new();
    Reflect::set(
        &otp,
        &"transport".into(),
        &js_sys::Array::of1(&"sms".into()),
    )
    .ok()?;
    let options = Object::new();
    Reflect::set(&options, &"otp".into(), &otp).ok()?;
    Reflect::set(&options, &"signal".into(), &abort.signal()).ok()?;
    let promise: js_sys::Promise = get.call1(&credentials, &options).ok()?.dyn_into().ok()?;
    spawn_local(async move {
        // Aborted, refused or unsupported: the visitor types the code as before.
        if let Ok(credential) = JsFuture::from(promise).await {
            if let Some(code) = wire::text(&credential, "code") {
                found(code);
            }
        }
    });
    Some(abort)
}

/// Whether the visitor is on a touch screen (a phone, mostly), where the `tel:` link is the
/// way to call; elsewhere the QR code is.
pub fn on_touch_screen() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(pointer: coarse)").ok().flatten())
        .is_some_and(|m| m.matches())
}
