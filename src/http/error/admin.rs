//! What the admin's use cases refuse (`services::Error`), in the words staff read.

use super::{AppError, Message};
use crate::domain::checklist::RuleError;
use crate::domain::password;
use crate::domain::shop_settings::SettingsError;
use crate::domain::taipei_time;
use crate::services::accounts::CreateStaffError;
use crate::services::error::{Error, Invalid, NameField, NotFound, RebindProblem, Refusal};
use crate::services::passwords::HashingError;
use crate::services::setup::NotReady;

impl From<crate::domain::access::AccessDenied> for AppError {
    /// HQ-only actions answer 403; another store's objects answer 404, as if they did not exist.
    fn from(denied: crate::domain::access::AccessDenied) -> Self {
        match denied {
            crate::domain::access::AccessDenied::HqOnly => AppError::Refused(Message::new(
                "只有總公司帳號可以進行這個操作。",
                "Only headquarters staff may do this.",
            )),
            crate::domain::access::AccessDenied::OtherStore => {
                AppError::not_found("找不到這個項目。", "This item does not exist.")
            }
        }
    }
}

impl From<HashingError> for AppError {
    fn from(err: HashingError) -> Self {
        match err {
            HashingError::Busy => AppError::unavailable(
                "系統忙碌中，請稍候片刻再試一次。",
                "The server is busy; please try again in a moment.",
            ),
            HashingError::Failed(err) => {
                AppError::Unexpected(anyhow::Error::new(err).context("password hashing"))
            }
        }
    }
}

impl From<CreateStaffError> for AppError {
    fn from(err: CreateStaffError) -> Self {
        match err {
            CreateStaffError::InvalidUsername(_) => AppError::bad_request(
                "帳號名稱須為 3–32 個字元：小寫英文字母、數字、「.」「_」或「-」。",
                "A username has 3 to 32 characters: a-z, 0-9, '.', '_' or '-'.",
            ),
            CreateStaffError::WeakPassword(_) => AppError::bad_request(
                format!(
                    "密碼長度須為 {}–{} 個字元。",
                    password::MIN_PASSWORD_CHARS,
                    password::MAX_PASSWORD_CHARS
                ),
                format!(
                    "A password has {} to {} characters.",
                    password::MIN_PASSWORD_CHARS,
                    password::MAX_PASSWORD_CHARS
                ),
            ),
            CreateStaffError::UsernameTaken => AppError::conflict(
                "這個帳號名稱已經有人使用。",
                "This username is already taken.",
            ),
            CreateStaffError::StoreMismatch => AppError::bad_request(
                "門市人員帳號必須選擇門市；總公司帳號不屬於任何門市。",
                "Store staff must have a store; HQ accounts have none.",
            ),
            CreateStaffError::Hashing(err) => err.into(),
            CreateStaffError::Database(err) => err.into(),
        }
    }
}

impl From<RuleError> for AppError {
    fn from(err: RuleError) -> Self {
        match err {
            RuleError::InvalidAnswer(invalid) => AppError::bad_request(
                match invalid.0 {
                    crate::domain::checklist::AnswerKind::YesNo => {
                        "這個項目只能回答「是」或「否」。"
                    }
                    crate::domain::checklist::AnswerKind::Shield => {
                        "這個項目只能回答未認證、藍盾或綠盾。"
                    }
                },
                format!("Invalid answer: {invalid}."),
            ),
            RuleError::AutoLiffNeedsCertifiedProvider => AppError::conflict(
                "沒有 LINE 認證提供者時不能開啟「自動產生 LIFF 網址」：LINE 只在認證提供者底下允許網店自動產生 LIFF 網址。請先在第 4 項回答「有認證提供者」，或保持關閉（顧客會以加好友＋手機簡訊驗證的方式綁定）。",
                "Auto-generate LIFF URL cannot be turned on without a LINE Certified Provider. Answer item 4 with yes first, or keep it off (shoppers then bind by adding the OA and verifying their phone by SMS).",
            ),
        }
    }
}

impl From<SettingsError> for AppError {
    fn from(err: SettingsError) -> Self {
        AppError::BadRequest(Message::new(err.zh(), format!("{err}.")))
    }
}

impl From<NotReady> for AppError {
    fn from(NotReady(missing): NotReady) -> Self {
        let zh: Vec<String> = missing.iter().map(|m| m.zh()).collect();
        let en: Vec<String> = missing.iter().map(|m| m.en()).collect();
        AppError::conflict(
            format!("還不能開通，尚缺：{}", zh.join("；")),
            format!("Cannot activate yet. Missing: {}", en.join("; ")),
        )
    }
}

impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        match err {
            Error::NotFound(missing) => not_found(missing),
            Error::Denied(denied) => denied.into(),
            Error::Forbidden => AppError::Forbidden,
            Error::Invalid(invalid) => invalid_input(invalid),
            Error::Refused(refusal) => refused(refusal),
            Error::QrCodeRetired => AppError::Gone(Message::new(
                "此 QR Code 已停用，請洽門市人員。",
                "This QR code is no longer valid; please ask the store staff.",
            )),
            Error::TooManyScans(wait) => AppError::TooManyRequests {
                message: Message::new(
                    "短時間內掃描太多次了，請稍候片刻再掃描一次。",
                    "Too many scans in a short time; please wait a moment and scan again.",
                ),
                retry_after_secs: wait.as_secs().max(1),
            },
            Error::Hashing(err) => err.into(),
            Error::Account(err) => err.into(),
            Error::Checklist(err) => err.into(),
            Error::ShopSettings(err) => err.into(),
            Error::NotReady(err) => err.into(),
            Error::Database(err) => err.into(),
            Error::Unexpected(err) => AppError::Unexpected(err),
        }
    }
}

fn not_found(missing: NotFound) -> AppError {
    let (zh, en) = match missing {
        NotFound::Store => ("找不到這間門市。", "This store does not exist."),
        NotFound::Group => ("找不到這個群組。", "This group does not exist."),
        NotFound::Clerk => (
            "找不到這位門市人員。",
            "This clerk does not exist in this store.",
        ),
        NotFound::Member => ("找不到這位會員。", "This member does not exist."),
        NotFound::Account => ("找不到這個帳號。", "This account does not exist."),
        NotFound::ApiToken => ("找不到這個 API 權杖。", "This API token does not exist."),
        NotFound::Conflict => ("找不到這筆衝突。", "This conflict does not exist."),
        NotFound::BindingChange => (
            "找不到這筆綁定變更。",
            "This binding change does not exist.",
        ),
        NotFound::ChecklistItem => ("找不到這個檢查項目。", "There is no such checklist item."),
        NotFound::QrCode => (
            "找不到這個 QR Code，請確認是否為本店的海報，或洽門市人員。",
            "This QR code is unknown; please check the poster or ask the store staff.",
        ),
    };
    AppError::not_found(zh, en)
}

fn invalid_input(invalid: Invalid) -> AppError {
    match invalid {
        Invalid::Name(field, err) => {
            let (what_zh, what_en) = match field {
                NameField::Store => ("門市名稱", "Store name"),
                NameField::Group => ("群組名稱", "Group name"),
                NameField::ApiToken => ("權杖名稱", "Token name"),
            };
            AppError::bad_request(
                format!("{what_zh}：{}", err.zh()),
                format!("{what_en}: {err}"),
            )
        }
        Invalid::StoreCode(err) => AppError::bad_request(
            "門市代碼必須是 2–20 個英文字母、數字、- 或 _。",
            format!("Store code: {err}."),
        ),
        Invalid::UnknownStore => {
            AppError::bad_request("找不到這間門市。", "This store does not exist.")
        }
        Invalid::ReportGrouping => AppError::bad_request(
            "請選擇依門市、群組或人員統計。",
            "Choose to report by store, group or clerk.",
        ),
        Invalid::MemberSearch => AppError::bad_request(
            "請輸入完整的手機號碼（例如 0912345678）或會員名稱來搜尋。",
            "Search by the whole mobile number (for example 0912345678) or by name.",
        ),
        Invalid::Reason(err) => AppError::bad_request(err.zh(), format!("Reason: {err}.")),
        Invalid::Note(err) => AppError::bad_request(err.zh(), format!("Note: {err}.")),
        Invalid::DisplayName => AppError::bad_request(
            "顯示名稱不可超過 100 個字，也不可包含控制字元。",
            "A display name has at most 100 characters and no control characters.",
        ),
        Invalid::WrongCurrentPassword => {
            AppError::bad_request("目前的密碼不正確。", "The current password is not correct.")
        }
        Invalid::TokenAccount => AppError::bad_request(
            "請選擇一個啟用中的帳號；權杖會以這個帳號的權限操作。",
            "Choose an active account: the token acts with its rights.",
        ),
        Invalid::Attribution(err) => AppError::bad_request(err.zh(), err.to_string()),
        Invalid::Rebind(problem) => rebind_problem(problem),
    }
}

fn rebind_problem(problem: RebindProblem) -> AppError {
    let (zh, en): (String, String) = match problem {
        RebindProblem::StoreMissing => (
            "選擇的門市不存在，請重新選擇。".into(),
            "The chosen store does not exist; choose again.".into(),
        ),
        RebindProblem::StoreInactive(name) => (
            format!("「{name}」已停用，不能把會員綁定到停用的門市。"),
            format!("\"{name}\" is inactive; members cannot be bound to an inactive store."),
        ),
        RebindProblem::ClerkMissing => (
            "選擇的推薦人員不存在，請重新選擇。".into(),
            "The chosen clerk does not exist; choose again.".into(),
        ),
        RebindProblem::ClerkOfOtherStore => (
            "推薦人員必須是目標門市的人員。".into(),
            "The clerk must work at the chosen store.".into(),
        ),
        RebindProblem::ClerkInactive => (
            "這位人員的帳號已停用，不能擔任推薦人員。".into(),
            "This clerk's account is inactive and cannot be a referrer.".into(),
        ),
        RebindProblem::Unchanged => (
            "會員已經綁定在這個門市和推薦人員，沒有變更。".into(),
            "The member is already bound to this store and clerk; nothing changed.".into(),
        ),
        RebindProblem::ReassignKind => (
            "請選擇要移轉人員的會員還是門市的會員。".into(),
            "Choose whether to reassign a clerk's or a store's members.".into(),
        ),
        RebindProblem::SameSourceAndTarget => (
            "移出和移入不能是同一個。".into(),
            "Moving from and to must differ.".into(),
        ),
        RebindProblem::ReassignAcrossStores => (
            "只能移轉給同一門市的人員；要換門市，請用「門市移轉」。".into(),
            "Reassign to a clerk of the same store; to change store, reassign the store.".into(),
        ),
        RebindProblem::NothingToReassign => (
            "沒有需要移轉的會員。".into(),
            "There are no members to reassign.".into(),
        ),
        RebindProblem::UndoOfUndo => (
            "這筆是復原紀錄，不能再復原。".into(),
            "This is an undo; it cannot be undone.".into(),
        ),
    };
    AppError::bad_request(zh, en)
}

fn refused(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::StoreCodeTaken(code) => AppError::conflict(
            format!("門市代碼 {code} 已經有門市使用。"),
            format!("Store code {code} is already in use."),
        ),
        Refusal::StoreNameTaken(name) => AppError::conflict(
            format!("已經有名為「{name}」的門市；顧客會看到門市名稱，請使用不同的名稱。"),
            format!(
                "A store named \"{name}\" already exists; shoppers see store names, so each must be different."
            ),
        ),
        Refusal::GroupNameTaken(name) => AppError::conflict(
            format!("已經有名為「{name}」的群組。"),
            format!("A group named \"{name}\" already exists."),
        ),
        Refusal::GroupNotEmpty { name, stores } => AppError::conflict(
            format!(
                "群組「{name}」還有 {stores} 間門市，請先把這些門市移到其他群組或移出群組，再刪除群組。"
            ),
            format!(
                "Group \"{name}\" still has {stores} store(s); move them to another group or out of it first."
            ),
        ),
        Refusal::OwnAccount => AppError::conflict(
            "不能停用自己的帳號。",
            "You cannot deactivate your own account.",
        ),
        Refusal::ClerkDeactivated => AppError::conflict(
            "這個帳號已停用，不能再使用個人 QR Code。",
            "This account is deactivated; it cannot have a personal QR code.",
        ),
        Refusal::QrCodeReplaced => AppError::conflict(
            "這個 QR Code 剛剛已被更換，請重新整理頁面。",
            "This QR code was just replaced by someone else; reload the page.",
        ),
        Refusal::AlreadyErased => AppError::conflict(
            "這位會員的個人資料已經刪除了。",
            "This member's personal data has already been erased.",
        ),
        Refusal::ConflictResolved => AppError::conflict(
            "這筆衝突已經處理過了。",
            "This conflict has already been resolved.",
        ),
        Refusal::MergeBlocked(blocked) => AppError::conflict(blocked.zh(), blocked.en()),
        Refusal::NotBound => AppError::conflict(
            "這位會員還沒有綁定門市，沒有可以改的綁定。",
            "This member is not bound to a store yet; there is no binding to change.",
        ),
        Refusal::PreviewChanged { expected, now } => AppError::conflict(
            format!(
                "預覽之後人數有變動（預覽時 {expected} 位，現在 {now} 位），沒有做任何變更。請重新預覽後再確認。"
            ),
            format!(
                "The number of members changed since the preview ({expected} then, {now} now); nothing was changed. Preview again and confirm."
            ),
        ),
        Refusal::AlreadyUndone => AppError::conflict(
            "這筆變更已經復原過了。",
            "This change has already been undone.",
        ),
        Refusal::UndoTooLate { performed_at } => {
            let when = taipei_time::format(performed_at);
            AppError::conflict(
                format!("只能在變更當天（台灣時間）復原；這筆變更是 {when} 做的。"),
                format!(
                    "A change can be undone only on the day it was made (Taiwan time); this one was made {when}."
                ),
            )
        }
    }
}

/// The sales report: another store's sales are refused outright (the report exists; it is not
/// theirs), so a store account learns nothing of other stores.
impl From<crate::services::sales_report::SalesReportError> for AppError {
    fn from(err: crate::services::sales_report::SalesReportError) -> Self {
        use crate::services::sales_report::SalesReportError;
        match err {
            SalesReportError::OtherStore => AppError::Refused(Message::new(
                "門市人員只能查看自己門市的業績。",
                "Store staff can see their own store's sales only.",
            ))
            .with_code("other_store"),
            SalesReportError::Database(db) => db.into(),
        }
    }
}

impl From<crate::domain::sales_report::PeriodError> for AppError {
    fn from(err: crate::domain::sales_report::PeriodError) -> Self {
        AppError::bad_request(err.message_zh(), format!("Period: {err}."))
    }
}
