import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libpq's functions, loaded with `dlopen` the first time a PostgreSQL store is used.
///
/// The `outpost` binary does not link libpq: a laptop that never talks to a PostgreSQL node runs
/// without it installed (`ldd outpost` does not list it). The function types come from `libpq-fe.h`
/// through `CLibPQ/shim.h`, so they cannot drift from the header.
struct LibPQ: @unchecked Sendable {
    // @unchecked: only C function pointers, never changed after loading; libpq's functions are
    // thread-safe as long as one connection is used by one thread at a time (PostgreSQL docs 34.19).

    /// The file asked for: the library's soname, as Debian's `libpq5` installs it.
    static let soname = "libpq.so.5"

    let connectdbParams: outpost_PQconnectdbParams
    let finish: outpost_PQfinish
    let reset: outpost_PQreset
    let status: outpost_PQstatus
    let transactionStatus: outpost_PQtransactionStatus
    let errorMessage: outpost_PQerrorMessage
    let setNoticeProcessor: outpost_PQsetNoticeProcessor
    let exec: outpost_PQexec
    let execParams: outpost_PQexecParams
    let prepare: outpost_PQprepare
    let execPrepared: outpost_PQexecPrepared
    /// Pipeline mode, when this libpq has it (14 and later): statements whose answers can wait are sent
    /// without waiting (`PostgresDatabase.executeLater`).
    let pipeline: Pipeline?

    struct Pipeline {
        let enter: outpost_PQenterPipelineMode
        let exit: outpost_PQexitPipelineMode
        let sync: outpost_PQpipelineSync
        let sendQueryParams: outpost_PQsendQueryParams
        let sendQueryPrepared: outpost_PQsendQueryPrepared
        let sendPrepare: outpost_PQsendPrepare
        let getResult: outpost_PQgetResult
    }
    let resultStatus: outpost_PQresultStatus
    let resultErrorMessage: outpost_PQresultErrorMessage
    let resultErrorField: outpost_PQresultErrorField
    let ntuples: outpost_PQntuples
    let nfields: outpost_PQnfields
    let fname: outpost_PQfname
    let ftype: outpost_PQftype
    let cmdTuples: outpost_PQcmdTuples
    let cmdStatus: outpost_PQcmdStatus
    let getvalue: outpost_PQgetvalue
    let getlength: outpost_PQgetlength
    let getisnull: outpost_PQgetisnull
    let clear: outpost_PQclear
    let libVersion: outpost_PQlibVersion
    let socket: outpost_PQsocket
    let consumeInput: outpost_PQconsumeInput
    let notifies: outpost_PQnotifies
    let freemem: outpost_PQfreemem

    /// The process's libpq, loaded once; the same failure every time when it cannot be had.
    static let shared: Result<LibPQ, PostgresError> = load(soname)

    /// Loads libpq from `file` (a soname or a path) and looks up every function used.
    static func load(_ file: String) -> Result<LibPQ, PostgresError> {
        // RTLD_LOCAL: libpq's symbols stay out of the global namespace; we only reach them through dlsym.
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            return .failure(PostgresError.libraryMissing(reason: reason))
        }
        func symbol<T>(_ name: String, as type: T.Type) throws(PostgresError) -> T {
            guard let address = dlsym(handle, name) else {
                throw PostgresError.libraryMissing(reason: "\(file) has no \(name); libpq is older than this outpost expects")
            }
            return unsafeBitCast(address, to: type)
        }
        do {
            // The handle is never closed: the functions stay in use for the life of the process.
            return .success(LibPQ(
                connectdbParams: try symbol("PQconnectdbParams", as: outpost_PQconnectdbParams.self),
                finish: try symbol("PQfinish", as: outpost_PQfinish.self),
                reset: try symbol("PQreset", as: outpost_PQreset.self),
                status: try symbol("PQstatus", as: outpost_PQstatus.self),
                transactionStatus: try symbol("PQtransactionStatus", as: outpost_PQtransactionStatus.self),
                errorMessage: try symbol("PQerrorMessage", as: outpost_PQerrorMessage.self),
                setNoticeProcessor: try symbol("PQsetNoticeProcessor", as: outpost_PQsetNoticeProcessor.self),
                exec: try symbol("PQexec", as: outpost_PQexec.self),
                execParams: try symbol("PQexecParams", as: outpost_PQexecParams.self),
                prepare: try symbol("PQprepare", as: outpost_PQprepare.self),
                execPrepared: try symbol("PQexecPrepared", as: outpost_PQexecPrepared.self),
                pipeline: try? Pipeline(
                    enter: symbol("PQenterPipelineMode", as: outpost_PQenterPipelineMode.self),
                    exit: symbol("PQexitPipelineMode", as: outpost_PQexitPipelineMode.self),
                    sync: symbol("PQpipelineSync", as: outpost_PQpipelineSync.self),
                    sendQueryParams: symbol("PQsendQueryParams", as: outpost_PQsendQueryParams.self),
                    sendQueryPrepared: symbol("PQsendQueryPrepared", as: outpost_PQsendQueryPrepared.self),
                    sendPrepare: symbol("PQsendPrepare", as: outpost_PQsendPrepare.self),
                    getResult: symbol("PQgetResult", as: outpost_PQgetResult.self)),
                resultStatus: try symbol("PQresultStatus", as: outpost_PQresultStatus.self),
                resultErrorMessage: try symbol("PQresultErrorMessage", as: outpost_PQresultErrorMessage.self),
                resultErrorField: try symbol("PQresultErrorField", as: outpost_PQresultErrorField.self),
                ntuples: try symbol("PQntuples", as: outpost_PQntuples.self),
                nfields: try symbol("PQnfields", as: outpost_PQnfields.self),
                fname: try symbol("PQfname", as: outpost_PQfname.self),
                ftype: try symbol("PQftype", as: outpost_PQftype.self),
                cmdTuples: try symbol("PQcmdTuples", as: outpost_PQcmdTuples.self),
                cmdStatus: try symbol("PQcmdStatus", as: outpost_PQcmdStatus.self),
                getvalue: try symbol("PQgetvalue", as: outpost_PQgetvalue.self),
                getlength: try symbol("PQgetlength", as: outpost_PQgetlength.self),
                getisnull: try symbol("PQgetisnull", as: outpost_PQgetisnull.self),
                clear: try symbol("PQclear", as: outpost_PQclear.self),
                libVersion: try symbol("PQlibVersion", as: outpost_PQlibVersion.self),
                socket: try symbol("PQsocket", as: outpost_PQsocket.self),
                consumeInput: try symbol("PQconsumeInput", as: outpost_PQconsumeInput.self),
                notifies: try symbol("PQnotifies", as: outpost_PQnotifies.self),
                freemem: try symbol("PQfreemem", as: outpost_PQfreemem.self)
            ))
        } catch {
            return .failure(error)
        }
    }
}

/// Whether libpq can be loaded on this machine, and its version (`150005` for 15.5) when it can.
///
/// For `outpost node status` and tests; loading happens at most once per process.
public enum PostgresLibrary {
    /// libpq's version number, or the error that says why it cannot be loaded.
    public static func version() throws(PostgresError) -> Int {
        Int(try LibPQ.shared.get().libVersion())
    }

    /// Tries to load libpq from `file` instead of the soname; for the test of a missing library.
    public static func probe(_ file: String) throws(PostgresError) {
        _ = try LibPQ.load(file).get()
    }
}
