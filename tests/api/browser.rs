//! Headless Chromium (Debian's `chromium` + `chromedriver`, driven with fantoccini): the pages as a
//! shopper's phone runs them. A failed wait saves a screenshot and the page source under
//! `test-artifacts/<test>/` and names them in the panic message.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(15);

pub struct Browser {
    pub client: Client,
    driver: Child,
    test_name: String,
    profile_dir: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium with a fresh profile, phone-sized.
    pub async fn start(test_name: &str) -> Browser {
        Self::start_sized(test_name, 412, 915).await
    }

    /// Like [`Browser::start`] with a window of `width` × `height` (a desktop for the admin).
    pub async fn start_sized(test_name: &str, width: u32, height: u32) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "browser tests need Debian's chromium and chromium-driver (scripts/test installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile_dir = std::env::temp_dir().join(format!(
            "store-assistant-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", "--disable-dev-shm-usage", "--disable-component-update",
                    "--disable-sync", format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile_dir.display()),
                ]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        test_name: test_name.to_owned(),
                        profile_dir,
                    };
                }
                Err(err) => {
                    last_error = Some(err);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("chromedriver did not come up: {last_error:?}");
    }

    pub async fn goto(&self, url: &str) {
        if let Err(err) = self.client.goto(url).await {
            self.fail(&format!("open {url}"), &err.to_string()).await;
        }
    }

    /// Waits until the element is displayed and returns its text.
    pub async fn wait_visible(&self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && element.is_displayed().await.unwrap_or(false)
            {
                return element.text().await.unwrap_or_default();
            }
            if tokio::time::Instant::now() > deadline {
                self.fail(&format!("wait for {css}"), "not visible in time")
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait_visible(css).await;
        let result = match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.click().await.map(drop),
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            self.fail(&format!("click {css}"), &err.to_string()).await;
        }
    }

    /// Types `text` into the field (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        self.wait_visible(css).await;
        let result = match self.client.find(Locator::Css(css)).await {
            Ok(element) => match element.clear().await {
                Ok(()) => element.send_keys(text).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            self.fail(&format!("fill {css}"), &err.to_string()).await;
        }
    }

    /// Works inside the `index`-th frame of the current page from now on.
    pub async fn enter_frame(&self, index: u16) {
        if let Err(err) = self.client.enter_frame(index).await {
            self.fail(&format!("enter frame {index}"), &err.to_string())
                .await;
        }
    }

    /// Back to the page around the current frame.
    pub async fn leave_frame(&self) {
        if let Err(err) = self.client.enter_parent_frame().await {
            self.fail("leave frame", &err.to_string()).await;
        }
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
                && text.contains(needle)
            {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                self.fail(&format!("wait for {needle} in {css}"), "not shown in time")
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves what the browser shows as a PNG (documentation screenshots).
    #[allow(dead_code)]
    pub async fn save_screenshot(&self, path: &std::path::Path) {
        let bytes = self.client.screenshot().await.expect("a screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        std::fs::write(path, bytes).expect("the screenshot is written");
    }

    pub async fn inner_html(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.html(true).await.unwrap()
    }

    /// Saves what the browser shows, then fails the test naming the files.
    pub async fn fail(&self, step: &str, why: &str) -> ! {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("test-artifacts")
            .join(&self.test_name);
        std::fs::create_dir_all(&dir).ok();
        let slug: String = step
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let png = dir.join(format!("{slug}.png"));
        if let Ok(bytes) = self.client.screenshot().await {
            std::fs::write(&png, bytes).ok();
        }
        if let Ok(source) = self.client.source().await {
            std::fs::write(dir.join(format!("{slug}.html")), source).ok();
        }
        panic!(
            "browser step '{step}' failed: {why}; screenshot: {}",
            png.display()
        );
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
