// swift-tools-version:6.0
// Outpost depends on the Swift toolchain and the system libsqlite3 and OpenSSL (libssl) only.
import PackageDescription

let package = Package(
    name: "Outpost",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "outpost", targets: ["outpost"]),
        .executable(name: "outpost-bench", targets: ["outpost-bench"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // TLS for https:// nodes, so that a private CA can be trusted (--ca-file); URLSession on Linux cannot.
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        // libpq's headers only: OutpostStore loads libpq.so.5 at first use (dlopen), so `outpost` runs without it.
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(name: "OutpostStore", dependencies: ["CSQLite", "CLibPQ"]),
        .target(name: "OutpostModel", dependencies: ["OutpostStore"]),
        .target(name: "OutpostSync", dependencies: ["OutpostModel", "OutpostStore", "COpenSSL"]),
        .target(name: "OutpostSite", dependencies: ["OutpostSync", "OutpostModel", "OutpostStore"]),
        .target(name: "OutpostCLI", dependencies: ["OutpostSite", "OutpostSync", "OutpostModel", "OutpostStore"]),
        .executableTarget(name: "outpost", dependencies: ["OutpostCLI"]),
        // The benchmark command: swift run -c release outpost-bench
        .executableTarget(name: "outpost-bench", dependencies: ["OutpostSite", "OutpostSync", "OutpostModel", "OutpostStore"]),
        // Runs the built binary in end-to-end tests; used by test targets only.
        .target(name: "OutpostTestSupport", path: "Sources/OutpostTestSupport"),
        .testTarget(name: "OutpostStoreTests", dependencies: ["OutpostStore", "OutpostTestSupport", "outpost"]),
        .testTarget(name: "OutpostModelTests", dependencies: ["OutpostModel", "OutpostStore"]),
        .testTarget(name: "OutpostSyncTests", dependencies: ["OutpostSync", "OutpostModel", "OutpostStore", "OutpostTestSupport", "outpost"]),
        .testTarget(name: "OutpostSiteTests", dependencies: ["OutpostSite", "OutpostModel", "OutpostStore", "OutpostTestSupport", "outpost"]),
        .testTarget(name: "OutpostCLITests", dependencies: ["OutpostCLI", "OutpostModel", "OutpostTestSupport", "outpost"]),
    ],
    swiftLanguageModes: [.v6]
)
