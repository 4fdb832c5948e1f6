// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "reco",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reco", targets: ["RecoService"]),
        .library(name: "Embedding", targets: ["Embedding"]),
        .library(name: "Ranking", targets: ["Ranking"]),
        .library(name: "Catalog", targets: ["Catalog"]),
        .library(name: "RecoServer", targets: ["RecoServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Thin C module maps over the Debian -dev packages (found with pkg-config).
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // The hand-written SIMD kernels (the network's convolutions, the int8 scan of search by
        // image), each with AVX2, AVX-512 and portable paths picked at run time.
        .target(name: "CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // BLAS calls, the parallel loops and the kernels' instruction-set choice: the one place that
        // touches OpenBLAS.
        .target(name: "Compute", dependencies: ["COpenBLAS", "CVectorKernels"]),
        .target(
            name: "Embedding",
            dependencies: ["Compute", "CVectorKernels", "CTurboJPEG", "CPNG"],
            // The numeric kernels are ~100× slower unoptimised; the test suite runs a debug build.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Ranking is pure computation: no I/O.
        .target(name: "Ranking", dependencies: ["Compute", "CVectorKernels"]),
        // Text files compiled into the binary (migrations, page templates, the API document).
        .executableTarget(name: "EmbedFilesTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),
        .target(
            name: "Catalog",
            dependencies: [
                "Compute", "Embedding", "Ranking", "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedFiles"]
        ),
        // The demo (its catalog and simulated sessions) and offline evaluation, on top of Catalog.
        .target(name: "Demo", dependencies: ["Catalog", "Ranking"]),
        .target(name: "Evaluation", dependencies: ["Catalog", "Ranking"]),
        // The HTTP service: routes, pages, the served snapshot and its refresher, metrics.
        .target(
            name: "RecoServer",
            dependencies: [
                "Catalog", "Compute", "Embedding", "Ranking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Resources"],
            plugins: ["EmbedFiles"]
        ),
        // `reco`: the commands, a thin layer over the libraries.
        .executableTarget(
            name: "RecoService",
            dependencies: [
                "Catalog", "Compute", "Demo", "Embedding", "Evaluation", "Ranking", "RecoServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["Embedding", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ComputeTests", dependencies: ["Compute"]),
        .testTarget(
            name: "RecoServerTests",
            dependencies: [
                "Catalog", "Ranking", "RecoServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "RankingTests",
            dependencies: ["Compute", "Ranking"]
        ),
        .testTarget(
            name: "CatalogTests",
            dependencies: ["Catalog", "Demo", "Evaluation", "Embedding", "Ranking"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
