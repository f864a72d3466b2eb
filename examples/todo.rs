//! A JSON todo API: the state in an `Arc<Mutex<…>>` shared by the workers,
//! a `Router`, and handlers that return `Result<Response, HttpError>` so
//! that every refusal is a `?`.
//!
//! `cargo run --example todo [PORT]` (default 7878; 0 picks a free port)
//! serves on 127.0.0.1 and prints `listening on 127.0.0.1:PORT`; then
//!
//! ```text
//! curl -i localhost:7878/todos -H 'Content-Type: application/json' -d '{"title": "Buy milk"}'
//! curl -i localhost:7878/todos/1 -X PATCH -H 'Content-Type: application/json' -d '{"done": true}'
//! curl -i localhost:7878/todos
//! ```
//!
//! | request | answer |
//! |---|---|
//! | `GET /todos` | 200, every todo, oldest first: `[{"id":1,"title":"Buy milk","done":false}]` |
//! | `POST /todos` `{"title": "…"}` | 201, `Location: /todos/<id>`, the new todo |
//! | `GET /todos/{id}` | 200, the todo |
//! | `PATCH /todos/{id}` `{"done": true}` (and/or `"title"`) | 200, the todo as changed |
//! | `DELETE /todos/{id}` | 204 |
//! | an id that is not a todo's | 404 |
//! | a body that is not JSON of that shape, an unknown field, an empty title | 400 |
//! | a body that is not `application/json` | 415 |
//!
//! `tests/todo_example.rs` runs a round trip against this binary.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mini_async_http::{AIOServer, Handler, HttpError, Request, Response, ResponseBuilder, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

/// The body of `POST /todos`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTodo {
    title: String,
}

/// The body of `PATCH /todos/{id}`: the fields to change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    title: Option<String>,
    done: Option<bool>,
}

#[derive(Default)]
struct Todos {
    last_id: u64,
    items: BTreeMap<u64, Todo>,
}

type Db = Arc<Mutex<Todos>>;
type Answer = Result<Response, HttpError>;

fn list(db: &Db, _: &Request) -> Answer {
    let todos = lock(db);
    let all: Vec<&Todo> = todos.items.values().collect();
    Ok(ResponseBuilder::new().json(&all).build()?)
}

fn create(db: &Db, req: &Request) -> Answer {
    let new: NewTodo = req.json()?;
    let title = checked(new.title)?;
    let mut todos = lock(db);
    todos.last_id += 1;
    let todo = Todo {
        id: todos.last_id,
        title,
        done: false,
    };
    todos.items.insert(todo.id, todo.clone());
    Ok(ResponseBuilder::new()
        .status(201)
        .header("Location", &format!("/todos/{}", todo.id))
        .json(&todo)
        .build()?)
}

fn show(db: &Db, req: &Request) -> Answer {
    let id = id(req)?;
    let todos = lock(db);
    let todo = todos.items.get(&id).ok_or_else(not_found)?;
    Ok(ResponseBuilder::new().json(todo).build()?)
}

fn update(db: &Db, req: &Request) -> Answer {
    let id = id(req)?;
    let change: Change = req.json()?;
    let title = change.title.map(checked).transpose()?;
    let mut todos = lock(db);
    let todo = todos.items.get_mut(&id).ok_or_else(not_found)?;
    if let Some(title) = title {
        todo.title = title;
    }
    if let Some(done) = change.done {
        todo.done = done;
    }
    Ok(ResponseBuilder::new().json(&*todo).build()?)
}

fn remove(db: &Db, req: &Request) -> Answer {
    let id = id(req)?;
    lock(db).items.remove(&id).ok_or_else(not_found)?;
    Ok(ResponseBuilder::new().status(204).build()?)
}

/// The `{id}` of the route; one that is not a number is no todo's.
fn id(req: &Request) -> Result<u64, HttpError> {
    req.param("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(not_found)
}

fn not_found() -> HttpError {
    HttpError::new(404, "no such todo")
}

fn checked(title: String) -> Result<String, HttpError> {
    if title.trim().is_empty() {
        return Err(HttpError::new(400, "the title is empty"));
    }
    Ok(title)
}

/// The todos, locked. A handler that panicked while holding the lock
/// poisons it; every change above is whole before anything can panic, so
/// the data is still consistent and the lock is taken anyway.
fn lock(db: &Db) -> MutexGuard<'_, Todos> {
    db.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `handler` as a route's closure, with its own handle on the todos.
fn with(
    db: &Db,
    handler: fn(&Db, &Request) -> Answer,
) -> impl Fn(&Request) -> Answer + Send + Sync + 'static {
    let db = Arc::clone(db);
    move |req| handler(&db, req)
}

fn app() -> Router {
    let db = Db::default();
    Router::builder()
        .get("/todos", with(&db, list))
        .post("/todos", with(&db, create))
        .get("/todos/{id}", with(&db, show))
        .patch("/todos/{id}", with(&db, update))
        .delete("/todos/{id}", with(&db, remove))
        .build()
        .expect("the routes are valid")
}

/// Starts the server and serves until Ctrl-C.
pub fn main() {
    env_logger::init();
    let port: u16 = match std::env::args().nth(1) {
        None => 7878,
        Some(arg) => arg.parse().unwrap_or_else(|_| {
            eprintln!("usage: todo [PORT]  (not a port: {arg:?})");
            std::process::exit(2);
        }),
    };
    let mut server = AIOServer::bind(3, ("127.0.0.1", port), app().into_fn()).unwrap_or_else(|e| {
        eprintln!("todo: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    #[cfg(feature = "signals")]
    server
        .shutdown_on_signals()
        .expect("install signal handlers");
    println!("listening on {}", server.local_addr());
    std::io::stdout().flush().expect("stdout");
    server.start();
}
