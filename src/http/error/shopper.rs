//! Shopper-facing refusals: the scan's journey, LIFF binding, the phone step and its SMS codes,
//! the member card.

use super::{AppError, Message, wait_en, wait_zh};

pub(crate) fn journey_not_found() -> AppError {
    AppError::not_found(
        "找不到這次的綁定流程，請重新掃描門市的 QR code。",
        "This binding link is unknown; please scan the store's QR code again.",
    )
}

fn journey_expired() -> AppError {
    AppError::Gone(Message::new(
        "這個連結已過期，請向門市人員索取 QR code 再掃描一次。",
        "This link has expired; please ask the staff for the QR code and scan it again.",
    ))
}

/// One scan binds one member; the LIFF page tells this refusal by its code.
fn journey_completed() -> AppError {
    AppError::conflict(
        "這次掃描已完成一位會員的綁定；要綁定另一位會員，請重新掃描門市的 QR code。",
        "This scan has already bound a member; to bind someone else, scan the store's QR code again.",
    )
    .with_code("journey_completed")
}

impl From<crate::services::binding::BindError> for AppError {
    fn from(err: crate::services::binding::BindError) -> Self {
        use crate::services::binding::BindError;
        match err {
            BindError::JourneyNotFound => journey_not_found(),
            BindError::JourneyExpired => journey_expired(),
            BindError::JourneyCompleted => journey_completed(),
            BindError::IdTokenUsed => AppError::conflict(
                "這次的 LINE 登入已用於另一次掃描；請關閉頁面，再掃描一次門市的 QR code。",
                "This LINE login was already used for another scan; close this page and scan the store's QR code again.",
            )
            .with_code("id_token_used"),
            BindError::Database(db) => db.into(),
        }
    }
}

impl From<crate::services::journeys::JourneyLookupError> for AppError {
    fn from(err: crate::services::journeys::JourneyLookupError) -> Self {
        use crate::services::journeys::JourneyLookupError;
        match err {
            JourneyLookupError::NotFound => journey_not_found(),
            JourneyLookupError::Expired => journey_expired(),
            JourneyLookupError::Database(db) => db.into(),
        }
    }
}

impl From<crate::services::binding::liff::LiffBindError> for AppError {
    fn from(err: crate::services::binding::liff::LiffBindError) -> Self {
        use crate::services::binding::liff::LiffBindError;
        use crate::services::binding::phone::PhoneStepError;
        match err {
            LiffBindError::ConsentMissing => AppError::bad_request(
                "請先閱讀並勾選同意個人資料告知事項。",
                "Please read and accept the personal-data notice first.",
            ),
            LiffBindError::Journey(err) => err.into(),
            LiffBindError::AccessTokenMissing => AppError::bad_request(
                "缺少 LINE 登入資訊，請關閉頁面後重新掃描 QR code。",
                "The LINE login is missing; close this page and scan the QR code again.",
            )
            .with_code("access_token_missing"),
            LiffBindError::TooManyTries { retry_after } => AppError::TooManyRequests {
                message: Message::new(
                    format!("短時間內嘗試太多次了，請於 {}後再試。", wait_zh(retry_after)),
                    format!(
                        "Too many tries in a short time; please try again in {}.",
                        wait_en(retry_after)
                    ),
                ),
                retry_after_secs: retry_after.as_secs().max(1),
            },
            LiffBindError::InvalidToken(reason) => {
                tracing::info!(%reason, "LINE refused an ID token");
                AppError::Unauthorized(Message::new(
                    "LINE 身分驗證失敗，請關閉頁面後重新掃描 QR code。",
                    "LINE could not confirm who you are; close this page and scan the QR code again.",
                ))
            }
            LiffBindError::NotFriend { .. } => AppError::conflict(
                "請先加入官方帳號好友，再按「重試」。",
                "Please add the Official Account as a friend, then tap Retry.",
            )
            .with_code("not_friend"),
            LiffBindError::PhoneRequired => AppError::Refused(Message::new(
                "請先驗證手機號碼：輸入手機號碼、傳送驗證碼，再填入簡訊中的驗證碼。",
                "Please verify your mobile number first: enter it, ask for a code, then type the code from the SMS.",
            ))
            .with_code("phone_required"),
            LiffBindError::PhoneNotRequired => AppError::Refused(Message::new(
                "這個綁定流程不需要驗證手機。",
                "This binding does not ask for a mobile number.",
            ))
            .with_code("phone_not_required"),
            // An unknown, expired or completed journey is the whole page's problem, not the
            // phone step's.
            LiffBindError::Phone(err @ (PhoneStepError::Journey(_) | PhoneStepError::JourneyCompleted)) => {
                err.into()
            }
            LiffBindError::Phone(err) => AppError::from(err).with_code("phone_code"),
            LiffBindError::LineUnavailable(err) => {
                tracing::warn!(error = %err, "LINE unavailable during LIFF binding");
                AppError::unavailable(
                    "目前無法連線到 LINE，請稍後按「重試」。",
                    "LINE cannot be reached right now; please tap Retry in a moment.",
                )
            }
            LiffBindError::Bind(err) => err.into(),
        }
    }
}

impl From<crate::domain::phone::PhoneError> for AppError {
    fn from(err: crate::domain::phone::PhoneError) -> Self {
        AppError::bad_request(err.message_zh(), err.message_en())
    }
}

/// Refusals of the SMS code steps: each says what to do and, for limits, when to try again.
impl From<crate::services::otp::OtpError> for AppError {
    fn from(err: crate::services::otp::OtpError) -> Self {
        use crate::services::otp::OtpError;
        let too_many =
            |retry_after: std::time::Duration, zh: String, en: String| AppError::TooManyRequests {
                message: Message::new(zh, en),
                retry_after_secs: retry_after.as_secs().max(1),
            };
        match err {
            // The admin-facing reason is logged by the service; the shopper is sent to the staff.
            OtpError::SmsTemplateDisabled => AppError::unavailable(
                "簡訊驗證暫停服務，請洽門市人員。",
                "SMS verification is paused; please ask the store staff.",
            ),
            OtpError::ResendTooSoon { retry_after } => too_many(
                retry_after,
                format!("請於 {}後再重新傳送驗證碼。", wait_zh(retry_after)),
                format!(
                    "Please wait {} before asking for a new code.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::TooManyCodes { retry_after, .. } => too_many(
                retry_after,
                format!(
                    "驗證碼傳送次數已達上限，請於 {}後再試。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Too many codes were requested; please try again in {}.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::DailyBudgetReached { retry_after } => too_many(
                retry_after,
                format!(
                    "今日簡訊驗證已達發送上限，請於 {}後再試，或洽門市人員。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Today's SMS limit has been reached; please try again in {} or ask the store staff.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::JourneyCodesUsedUp => too_many(
                std::time::Duration::ZERO,
                "這次的綁定流程已傳送太多次驗證碼，請重新掃描門市的 QR Code 再試一次。".to_owned(),
                "This binding link has sent too many codes; please scan the store's QR code again."
                    .to_owned(),
            ),
            OtpError::SmsNotSent(_) => AppError::unavailable(
                "簡訊暫時無法送出，請稍後再試。",
                "The SMS could not be sent right now; please try again shortly.",
            ),
            OtpError::MalformedCode => AppError::bad_request(
                "請輸入簡訊中的 6 位數字驗證碼。",
                "Enter the 6-digit code from the SMS.",
            ),
            OtpError::NoCode => AppError::bad_request(
                "請先傳送驗證碼到您的手機。",
                "Please ask for a code to be sent to your phone first.",
            ),
            OtpError::Expired => AppError::Gone(Message::new(
                "驗證碼已過期，請重新傳送驗證碼。",
                "The code has expired; please ask for a new one.",
            )),
            OtpError::WrongCode { tries_left } => AppError::bad_request(
                format!("驗證碼不正確，還可以再試 {tries_left} 次。"),
                format!("Wrong code; {tries_left} tries left."),
            ),
            OtpError::TooManyTries { retry_after } if retry_after.is_zero() => too_many(
                retry_after,
                "錯誤次數過多，請重新傳送驗證碼。".to_owned(),
                "Too many wrong tries; please ask for a new code.".to_owned(),
            ),
            OtpError::TooManyTries { retry_after } => too_many(
                retry_after,
                format!(
                    "錯誤次數過多，請於 {}後重新傳送驗證碼。",
                    wait_zh(retry_after)
                ),
                format!(
                    "Too many wrong tries; please ask for a new code in {}.",
                    wait_en(retry_after)
                ),
            ),
            OtpError::AlreadyUsed => AppError::conflict(
                "這組驗證碼已使用過，請重新傳送驗證碼。",
                "This code was already used; please ask for a new one.",
            ),
            OtpError::SentForAnotherJourney => AppError::bad_request(
                "這個驗證碼是在另一個頁面要求的：請回到那個頁面輸入，或在此頁重新傳送驗證碼。",
                "This code was asked for on another page: type it there, or tap Resend here.",
            ),
            OtpError::Database(err) => err.into(),
        }
    }
}

impl From<crate::services::binding::phone::PhoneStepError> for AppError {
    fn from(err: crate::services::binding::phone::PhoneStepError) -> Self {
        use crate::services::binding::phone::PhoneStepError;
        match err {
            PhoneStepError::Journey(err) => err.into(),
            PhoneStepError::LineRoute => AppError::conflict(
                "這次掃描要在 LINE 裡完成綁定，不需要簡訊驗證：請用手機相機重新掃描門市的 QR code，並在 LINE 中開啟。",
                "This scan binds through LINE and needs no SMS code: scan the store's QR code again with the phone's camera and open it in LINE.",
            ),
            PhoneStepError::JourneyCompleted => journey_completed(),
            PhoneStepError::Otp(err) => err.into(),
            PhoneStepError::Database(err) => err.into(),
        }
    }
}

impl From<crate::services::binding::phone::PhoneBindError> for AppError {
    fn from(err: crate::services::binding::phone::PhoneBindError) -> Self {
        use crate::services::binding::phone::PhoneBindError;
        match err {
            PhoneBindError::Phone(err) => err.into(),
            PhoneBindError::Bind(err) => err.into(),
        }
    }
}

/// The member card (`/me`): its link, and the LIFF page's LINE login.
impl From<crate::services::member_card::MemberCardError> for AppError {
    fn from(err: crate::services::member_card::MemberCardError) -> Self {
        use crate::services::member_card::MemberCardError;
        match err {
            MemberCardError::LinkExpired => AppError::Gone(Message::new(
                "這個會員卡連結已過期：請在 LINE 官方帳號聊天室輸入「會員卡」，開啟新的連結。",
                "This member card link has expired: type 會員卡 in the LINE Official Account chat for a new one.",
            ))
            .with_code("link_expired"),
            MemberCardError::LinkInvalid => AppError::bad_request(
                "這個會員卡連結無效：請在 LINE 官方帳號聊天室輸入「會員卡」，開啟新的連結。",
                "This member card link is not valid: type 會員卡 in the LINE Official Account chat for a new one.",
            )
            .with_code("link_invalid"),
            MemberCardError::MemberGone => AppError::Gone(Message::new(
                "找不到這張會員卡的會員資料。如需協助，請洽門市人員。",
                "The member of this card no longer exists. Please ask the store staff for help.",
            ))
            .with_code("member_gone"),
            MemberCardError::NotAMember => AppError::not_found(
                "您還不是會員：請在門市掃描店員出示的 QR Code，加入會員並綁定門市後，再開啟會員卡。",
                "You are not a member yet: scan the QR code a clerk shows you in the store to join, then open the card again.",
            )
            .with_code("not_member"),
            MemberCardError::AccessTokenMissing => AppError::bad_request(
                "缺少 LINE 登入資訊，請關閉頁面後重新開啟會員卡。",
                "The LINE login is missing; close this page and open the card again.",
            )
            .with_code("access_token_missing"),
            MemberCardError::TooManyTries { retry_after } => AppError::TooManyRequests {
                message: Message::new(
                    format!("短時間內開啟太多次了，請於 {}後再試。", wait_zh(retry_after)),
                    format!(
                        "Opened too often in a short time; please try again in {}.",
                        wait_en(retry_after)
                    ),
                ),
                retry_after_secs: retry_after.as_secs().max(1),
            },
            MemberCardError::InvalidToken(reason) => {
                tracing::info!(%reason, "LINE refused the member card's login");
                AppError::Unauthorized(Message::new(
                    "LINE 身分驗證失敗，請關閉頁面後重新開啟會員卡。",
                    "LINE could not confirm who you are; close this page and open the card again.",
                ))
            }
            MemberCardError::LineUnavailable(err) => {
                tracing::warn!(error = %err, "LINE unavailable while opening a member card");
                AppError::unavailable(
                    "目前無法連線到 LINE，請稍後再試。",
                    "LINE cannot be reached right now; please try again in a moment.",
                )
            }
            MemberCardError::Database(err) => err.into(),
        }
    }
}
