use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close_by_ref().await.unwrap();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

#[tokio::test]
async fn unknown_page_is_a_404_page_for_people() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-TW">"#));
    assert!(html.contains("找不到"));
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/no-such-thing").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}
