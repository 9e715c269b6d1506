#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// SSL_set_tlsext_host_name is a macro over SSL_ctrl, which Swift cannot import;
// the TLS client names the node's host (SNI) through this copy.
static inline long copenssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
