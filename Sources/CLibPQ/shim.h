#include <postgresql/libpq-fe.h>

// The types of the libpq functions OutpostStore calls, taken from their declarations in libpq-fe.h:
// LibPQ.swift casts what dlsym returns to these, so a signature can never drift from the header.
// Only the types are used from this module; no libpq symbol is linked.
typedef __typeof__(&PQconnectdbParams) outpost_PQconnectdbParams;
typedef __typeof__(&PQfinish) outpost_PQfinish;
typedef __typeof__(&PQreset) outpost_PQreset;
typedef __typeof__(&PQstatus) outpost_PQstatus;
typedef __typeof__(&PQtransactionStatus) outpost_PQtransactionStatus;
typedef __typeof__(&PQerrorMessage) outpost_PQerrorMessage;
typedef __typeof__(&PQsetNoticeProcessor) outpost_PQsetNoticeProcessor;
typedef __typeof__(&PQexec) outpost_PQexec;
typedef __typeof__(&PQexecParams) outpost_PQexecParams;
typedef __typeof__(&PQprepare) outpost_PQprepare;
typedef __typeof__(&PQexecPrepared) outpost_PQexecPrepared;
// Pipeline mode (libpq 14 and later; looked up optionally).
typedef __typeof__(&PQenterPipelineMode) outpost_PQenterPipelineMode;
typedef __typeof__(&PQexitPipelineMode) outpost_PQexitPipelineMode;
typedef __typeof__(&PQpipelineSync) outpost_PQpipelineSync;
typedef __typeof__(&PQsendQueryParams) outpost_PQsendQueryParams;
typedef __typeof__(&PQsendQueryPrepared) outpost_PQsendQueryPrepared;
typedef __typeof__(&PQsendPrepare) outpost_PQsendPrepare;
typedef __typeof__(&PQgetResult) outpost_PQgetResult;
typedef __typeof__(&PQresultStatus) outpost_PQresultStatus;
typedef __typeof__(&PQresultErrorMessage) outpost_PQresultErrorMessage;
typedef __typeof__(&PQresultErrorField) outpost_PQresultErrorField;
typedef __typeof__(&PQntuples) outpost_PQntuples;
typedef __typeof__(&PQnfields) outpost_PQnfields;
typedef __typeof__(&PQfname) outpost_PQfname;
typedef __typeof__(&PQftype) outpost_PQftype;
typedef __typeof__(&PQcmdTuples) outpost_PQcmdTuples;
typedef __typeof__(&PQcmdStatus) outpost_PQcmdStatus;
typedef __typeof__(&PQgetvalue) outpost_PQgetvalue;
typedef __typeof__(&PQgetlength) outpost_PQgetlength;
typedef __typeof__(&PQgetisnull) outpost_PQgetisnull;
typedef __typeof__(&PQclear) outpost_PQclear;
typedef __typeof__(&PQlibVersion) outpost_PQlibVersion;
// LISTEN/NOTIFY: a node process learns of other processes' commits without asking (NodeChangeWatch).
typedef __typeof__(&PQsocket) outpost_PQsocket;
typedef __typeof__(&PQconsumeInput) outpost_PQconsumeInput;
typedef __typeof__(&PQnotifies) outpost_PQnotifies;
typedef __typeof__(&PQfreemem) outpost_PQfreemem;

// PG_DIAG_SQLSTATE and friends are character macros ('C'), which Swift imports as plain Int32 already;
// these name the ones used, for readability at the call site.
static const int outpost_PG_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;
static const int outpost_PG_DIAG_MESSAGE_PRIMARY = PG_DIAG_MESSAGE_PRIMARY;
static const int outpost_PG_DIAG_MESSAGE_DETAIL = PG_DIAG_MESSAGE_DETAIL;
