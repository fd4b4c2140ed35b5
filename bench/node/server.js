// The LINE webhook job done the usual way with LINE's official Node SDK (@line/bot-sdk, npm):
// its middleware checks X-Line-Signature and parses the body, every event id is stored in SQLite
// (better-sqlite3, INSERT OR IGNORE, one transaction per request), and the answer is 200.
//
//   LINE_CHANNEL_SECRET=S BENCH_DB=bench/out/node.db PORT=28392 node bench/node/server.js
"use strict";

const express = require("express");
const { middleware } = require("@line/bot-sdk");
const Database = require("better-sqlite3");

const db = new Database(process.env.BENCH_DB);
// The same SQLite settings store-assistant uses: WAL, synchronous=NORMAL.
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec("CREATE TABLE IF NOT EXISTS webhook_events (webhook_event_id TEXT PRIMARY KEY)");
const insert = db.prepare("INSERT OR IGNORE INTO webhook_events (webhook_event_id) VALUES (?)");
const storeAll = db.transaction((events) => {
  for (const event of events) insert.run(event.webhookEventId);
});

const app = express();
app.post(
  "/line/webhook",
  middleware({ channelSecret: process.env.LINE_CHANNEL_SECRET }),
  (req, res) => {
    storeAll(req.body.events);
    res.json({ status: "ok" });
  },
);
app.use((err, req, res, next) => {
  res.status(err.name === "SignatureValidationFailed" ? 401 : 400).send(err.message);
});
app.listen(Number(process.env.PORT), "127.0.0.1");
