// swift-tools-version:6.0
// Outpost depends on the Swift toolchain and the system libsqlite3, zlib and OpenSSL (libssl) only.
import PackageDescription

// The debug build compiles the modules that do the work with -O: `swift test` runs the built binary thousands
// of times and builds sites of thousands of customers, several times faster optimised.
let optimisedInTests: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

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
        // gzip on the sync's HTTP wire (Content-Encoding: gzip), both ways of the client and the node.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // libpq's headers only: OutpostStore loads libpq.so.5 at first use (dlopen), so `outpost` runs without it.
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(name: "OutpostStore", dependencies: ["CSQLite", "CLibPQ"], swiftSettings: optimisedInTests),
        // Glibc and Foundation only: the kernel's file calls (renameat2, fallocate, copy_file_range) and running an
        // operator's command (posix_spawn), beneath every other module.
        .target(name: "OutpostSystem"),
        .target(name: "OutpostModel", dependencies: ["OutpostSystem", "OutpostStore"], swiftSettings: optimisedInTests),
        // The deterministic demo and scale data set and the service-plan catalog it is drawn from.
        .target(name: "OutpostFixtures", dependencies: ["OutpostModel", "OutpostStore", "OutpostSystem"], swiftSettings: optimisedInTests),
        .target(name: "OutpostSync", dependencies: ["OutpostModel", "OutpostStore", "OutpostSystem", "COpenSSL", "CZlib"], swiftSettings: optimisedInTests),
        .target(name: "OutpostSite", dependencies: ["OutpostModel", "OutpostStore", "OutpostSystem"], swiftSettings: optimisedInTests),
        .target(name: "OutpostCLI", dependencies: ["OutpostSite", "OutpostSync", "OutpostFixtures", "OutpostModel", "OutpostStore", "OutpostSystem"]),
        .executableTarget(name: "outpost", dependencies: ["OutpostCLI"]),
        // The benchmark command: swift run -c release outpost-bench
        .executableTarget(name: "outpost-bench", dependencies: ["OutpostSite", "OutpostSync", "OutpostFixtures", "OutpostModel", "OutpostStore", "OutpostSystem",
                                                               "OutpostPostgresCluster"]),
        // A throwaway PostgreSQL cluster (initdb in a temporary directory), for the tests and the benchmarks.
        .target(name: "OutpostPostgresCluster"),
        // Runs the built binary in end-to-end tests; used by test targets only.
        .target(name: "OutpostTestSupport", dependencies: ["OutpostPostgresCluster"], path: "Sources/OutpostTestSupport"),
        // The `.ownThreads` trait: tests that block run on threads of their own, off Swift Testing's cooperative pool.
        .target(name: "OutpostTestThreads"),
        .testTarget(name: "OutpostStoreTests", dependencies: ["OutpostStore", "OutpostTestSupport", "outpost", "OutpostTestThreads"]),
        .testTarget(name: "OutpostSystemTests", dependencies: ["OutpostSystem"]),
        .testTarget(name: "OutpostModelTests", dependencies: ["OutpostModel", "OutpostFixtures", "OutpostStore"]),
        .testTarget(name: "OutpostFixturesTests", dependencies: ["OutpostFixtures", "OutpostModel", "OutpostStore"]),
        .testTarget(name: "OutpostSyncTests", dependencies: ["OutpostSync", "OutpostFixtures", "OutpostModel", "OutpostStore", "OutpostSystem", "OutpostTestSupport", "outpost", "OutpostTestThreads"]),
        .testTarget(name: "OutpostSiteTests", dependencies: ["OutpostSite", "OutpostSync", "OutpostFixtures", "OutpostModel", "OutpostStore", "OutpostSystem", "OutpostTestSupport", "outpost", "OutpostTestThreads"]),
        .testTarget(name: "OutpostCLITests", dependencies: ["OutpostCLI", "OutpostModel", "OutpostSystem", "OutpostTestSupport", "outpost", "OutpostTestThreads"]),
    ],
    swiftLanguageModes: [.v6]
)
