//! The MySQL protocol front end (StarRocks' `query_port`), built on opensrv-mysql.
//!
//! [`serve`] accepts connections until the shutdown flag turns true, then stops accepting
//! and closes the open connections. Each connection gets a fresh random scramble and is
//! authenticated with `mysql_native_password` against [`Users`]; after that every text query
//! goes through [`crate::sql::exec`], so the MySQL client and the SQL API can never disagree
//! about a result. Numeric result columns carry numeric wire types, which is what makes the
//! mysql CLI right-align them as it does against StarRocks. Prepared statements are refused
//! with a clear error rather than half-emulated.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use opensrv_mysql::{
    AsyncMysqlIntermediary, AsyncMysqlShim, Column, ColumnFlags, ColumnType as WireType, ErrorKind,
    InitWriter, OkResponse, ParamParser, QueryResultWriter, StatementMetaWriter,
};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWrite;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::auth::Users;
use crate::catalog::Catalog;
use crate::sql::exec::{codes, execute_typed, Outcome, Session, TypedColumn};
use crate::types::ColumnType;
use crate::version::Version;

/// The server version in the handshake; clients parse the leading `5.1.0`.
pub const SERVER_VERSION: &str = "5.1.0-StarRocks-emulator";

const PREPARED_UNSUPPORTED: &str = "prepared statements are not supported by the emulator";
const NATIVE_PASSWORD: &str = "mysql_native_password";

static NEXT_CONNECTION_ID: AtomicU32 = AtomicU32::new(1);

/// Serves the MySQL protocol on `listener` until `*shutdown.borrow()` is true. Dropping the
/// sender does not stop the server; sending `true` does.
pub async fn serve(
    listener: TcpListener,
    catalog: Catalog,
    users: Users,
    shutdown: watch::Receiver<bool>,
) {
    serve_as(listener, catalog, users, Version::default(), shutdown).await
}

/// [`serve`], reporting `version` from `current_version()` and `@@version_comment`.
pub async fn serve_as(
    listener: TcpListener,
    catalog: Catalog,
    users: Users,
    version: Version,
    mut shutdown: watch::Receiver<bool>,
) {
    let addr = listener.local_addr().ok();
    info!(address = ?addr, "MySQL protocol server listening.");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let backend = Backend::new(catalog.clone(), users.clone(), version.clone());
                    let mut conn_shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        let connection_id = backend.connection_id;
                        let _ = stream.set_nodelay(true);
                        let (reader, writer) = stream.into_split();
                        tokio::select! {
                            result = AsyncMysqlIntermediary::run_on(backend, reader, writer) => {
                                if let Err(error) = result {
                                    debug!(connection_id, peer = %peer, error = %error, "MySQL connection ended with an error.");
                                }
                            }
                            _ = shutdown_requested(&mut conn_shutdown) => {
                                debug!(connection_id, "MySQL connection closed by shutdown.");
                            }
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %error, "Accepting a MySQL connection failed.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = shutdown_requested(&mut shutdown) => break,
        }
    }
    info!(address = ?addr, "MySQL protocol server stopped.");
}

/// Resolves once the flag is true; never, if the sender is gone while it is false.
async fn shutdown_requested(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One client connection.
struct Backend {
    catalog: Catalog,
    users: Users,
    session: Session,
    salt: [u8; 20],
    connection_id: u32,
}

impl Backend {
    fn new(catalog: Catalog, users: Users, version: Version) -> Backend {
        Backend {
            catalog,
            users,
            session: Session::with_version(version),
            salt: new_salt(),
            connection_id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Backend {
    type Error = io::Error;

    fn version(&self) -> String {
        SERVER_VERSION.to_string()
    }

    fn connect_id(&self) -> u32 {
        self.connection_id
    }

    fn salt(&self) -> [u8; 20] {
        self.salt
    }

    async fn authenticate(
        &self,
        auth_plugin: &str,
        username: &[u8],
        salt: &[u8],
        auth_data: &[u8],
    ) -> bool {
        let user = String::from_utf8_lossy(username);
        let ok = auth_plugin == NATIVE_PASSWORD
            && self
                .users
                .password(&user)
                .is_some_and(|password| verify_native_password(password, salt, auth_data));
        if !ok {
            info!(connection_id = self.connection_id, user = %user, "MySQL authentication failed.");
        }
        ok
    }

    async fn on_prepare<'a>(
        &'a mut self,
        _query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        info.error(
            ErrorKind::ER_UNSUPPORTED_PS,
            PREPARED_UNSUPPORTED.as_bytes(),
        )
        .await
    }

    async fn on_execute<'a>(
        &'a mut self,
        _id: u32,
        _params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        results
            .error(
                ErrorKind::ER_UNSUPPORTED_PS,
                PREPARED_UNSUPPORTED.as_bytes(),
            )
            .await
    }

    async fn on_close(&mut self, _stmt: u32) {}

    async fn on_query<'a>(
        &'a mut self,
        sql: &'a str,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        debug!(connection_id = self.connection_id, sql, "MySQL query.");
        match execute_typed(&self.catalog, &mut self.session, sql) {
            Ok(Outcome::Ok { affected }) => {
                results
                    .completed(OkResponse {
                        affected_rows: affected,
                        ..OkResponse::default()
                    })
                    .await
            }
            Ok(Outcome::Rows(rs)) => {
                let columns: Vec<Column> = rs.columns.iter().map(wire_column).collect();
                let mut rows = results.start(&columns).await?;
                for row in &rs.rows {
                    for value in row {
                        rows.write_col(value.render())?;
                    }
                    rows.end_row().await?;
                }
                rows.finish().await
            }
            Err(e) => {
                debug!(connection_id = self.connection_id, code = e.code, error = %e.message, "MySQL query failed.");
                results
                    .error(error_kind(e.code), e.message.as_bytes())
                    .await
            }
        }
    }

    async fn on_init<'a>(
        &'a mut self,
        database: &'a str,
        writer: InitWriter<'a, W>,
    ) -> io::Result<()> {
        if self.catalog.has_database(database) {
            self.session.database = Some(database.to_string());
            writer.ok().await
        } else {
            let message = format!("Unknown database '{database}'");
            writer
                .error(ErrorKind::ER_BAD_DB_ERROR, message.as_bytes())
                .await
        }
    }
}

/// A 20-byte scramble of printable characters other than `$`, from the OS random source.
fn new_salt() -> [u8; 20] {
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let random = a.as_bytes().iter().chain(b.as_bytes()).copied();
    let mut salt = [0u8; 20];
    for (s, r) in salt.iter_mut().zip(random) {
        *s = match 0x21 + r % 94 {
            b'$' => b'%',
            c => c,
        };
    }
    salt
}

/// Checks a `mysql_native_password` response: the client sends
/// `SHA1(password) XOR SHA1(salt + SHA1(SHA1(password)))`, or nothing for an empty password.
pub fn verify_native_password(password: &str, salt: &[u8], response: &[u8]) -> bool {
    if password.is_empty() {
        return response.is_empty();
    }
    response == native_password_scramble(password, salt)
}

/// The `mysql_native_password` response a client computes for `password` and `salt`.
pub fn native_password_scramble(password: &str, salt: &[u8]) -> [u8; 20] {
    let stage1: [u8; 20] = Sha1::digest(password.as_bytes()).into();
    let stage2: [u8; 20] = Sha1::digest(stage1).into();
    let mut hasher = Sha1::new();
    hasher.update(salt);
    hasher.update(stage2);
    let mask: [u8; 20] = hasher.finalize().into();
    let mut out = [0u8; 20];
    for (o, (s, m)) in out.iter_mut().zip(stage1.iter().zip(mask)) {
        *o = s ^ m;
    }
    out
}

/// The wire type of a result column; numeric types make clients right-align.
fn wire_column(c: &TypedColumn) -> Column {
    let coltype = match c.ty {
        ColumnType::TinyInt | ColumnType::Boolean => WireType::MYSQL_TYPE_TINY,
        ColumnType::SmallInt => WireType::MYSQL_TYPE_SHORT,
        ColumnType::Int => WireType::MYSQL_TYPE_LONG,
        ColumnType::BigInt => WireType::MYSQL_TYPE_LONGLONG,
        ColumnType::LargeInt | ColumnType::Decimal { .. } => WireType::MYSQL_TYPE_NEWDECIMAL,
        ColumnType::Float => WireType::MYSQL_TYPE_FLOAT,
        ColumnType::Double => WireType::MYSQL_TYPE_DOUBLE,
        ColumnType::Char(_) => WireType::MYSQL_TYPE_STRING,
        ColumnType::Varchar(_) | ColumnType::String | ColumnType::Json => {
            WireType::MYSQL_TYPE_VAR_STRING
        }
        ColumnType::Date => WireType::MYSQL_TYPE_DATE,
        ColumnType::DateTime => WireType::MYSQL_TYPE_DATETIME,
    };
    let colflags = if c.ty.is_numeric() {
        ColumnFlags::NUM_FLAG
    } else {
        ColumnFlags::empty()
    };
    Column {
        table: String::new(),
        column: c.name.clone(),
        coltype,
        colflags,
    }
}

/// Our error codes as opensrv's error kinds (whose `From<u16>` panics on unknown codes).
fn error_kind(code: u16) -> ErrorKind {
    match code {
        codes::DB_CREATE_EXISTS => ErrorKind::ER_DB_CREATE_EXISTS,
        codes::DB_DROP_EXISTS => ErrorKind::ER_DB_DROP_EXISTS,
        codes::NO_DB => ErrorKind::ER_NO_DB_ERROR,
        codes::BAD_DB => ErrorKind::ER_BAD_DB_ERROR,
        codes::TABLE_EXISTS => ErrorKind::ER_TABLE_EXISTS_ERROR,
        codes::BAD_TABLE => ErrorKind::ER_BAD_TABLE_ERROR,
        codes::BAD_FIELD => ErrorKind::ER_BAD_FIELD_ERROR,
        codes::DUP_FIELDNAME => ErrorKind::ER_DUP_FIELDNAME,
        codes::PARSE => ErrorKind::ER_PARSE_ERROR,
        codes::INVALID_DEFAULT => ErrorKind::ER_INVALID_DEFAULT,
        codes::NO_SUCH_TABLE => ErrorKind::ER_NO_SUCH_TABLE,
        codes::UNKNOWN_SYSTEM_VARIABLE => ErrorKind::ER_UNKNOWN_SYSTEM_VARIABLE,
        codes::NOT_SUPPORTED => ErrorKind::ER_NOT_SUPPORTED_YET,
        _ => ErrorKind::ER_UNKNOWN_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_native_password_scrambles() {
        let salt = new_salt();
        let response = native_password_scramble("123456", &salt);
        assert!(verify_native_password("123456", &salt, &response));
        assert!(!verify_native_password("1234567", &salt, &response));
        assert!(!verify_native_password("123456", &new_salt(), &response));
        assert!(verify_native_password("", &salt, b""));
        assert!(!verify_native_password("", &salt, &response));
    }

    #[test]
    fn salts_are_printable_and_differ_per_connection() {
        let (a, b) = (new_salt(), new_salt());
        assert_ne!(a, b);
        assert!(a.iter().all(|c| (0x21..=0x7e).contains(c) && *c != b'$'));
    }

    #[test]
    fn numeric_columns_get_numeric_wire_types() {
        let col = |ty| TypedColumn {
            name: "c".into(),
            ty,
        };
        assert_eq!(
            wire_column(&col(ColumnType::Int)).coltype,
            WireType::MYSQL_TYPE_LONG
        );
        assert!(wire_column(&col(ColumnType::Int))
            .colflags
            .contains(ColumnFlags::NUM_FLAG));
        assert_eq!(
            wire_column(&col(ColumnType::String)).coltype,
            WireType::MYSQL_TYPE_VAR_STRING
        );
        assert_eq!(error_kind(codes::NO_SUCH_TABLE) as u16, 1146);
        assert_eq!(error_kind(9999) as u16, 1105);
    }
}
