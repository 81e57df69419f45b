import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PigeonCore
import Synchronization
import Testing
import X509

@testable import WhatsAppCloud

/// The send path's connection pool against a minimal HTTP/1.1 server (plain or TLS) on loopback.
@Suite struct HTTP1ConnectionPoolTests {
    func message() -> OutboundMessage {
        OutboundMessage(id: .generate(), senderID: "123", payload: #"{"to":"+15550001111","type":"text","text":{"body":"hi"}}"#)
    }

    @Test func moreSendsThanConnectionsWaitTheirTurnAndAllComplete() async throws {
        let server = try await GraphStub.start()
        let client = try CloudAPIClient(configuration: .init(baseURL: server.url, accessToken: "t", maxConnections: 2))
        let outcomes = await withTaskGroup(of: SendOutcome.self) { group in
            for _ in 0..<50 { group.addTask { await client.send(self.message()) } }
            return await group.reduce(into: [SendOutcome]()) { $0.append($1) }
        }
        try await client.shutdown()
        try await server.stop()
        #expect(outcomes.count == 50)
        #expect(outcomes.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(server.connections <= 2)
        #expect(server.requests == 50)
    }

    @Test func aServerThatClosesAfterEachResponseGetsAFreshConnection() async throws {
        let server = try await GraphStub.start(closeAfterEachResponse: true)
        let client = try CloudAPIClient(configuration: .init(baseURL: server.url, accessToken: "t", maxConnections: 1))
        var outcomes: [SendOutcome] = []
        for _ in 0..<5 { outcomes.append(await client.send(message())) }
        try await client.shutdown()
        try await server.stop()
        #expect(outcomes.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(server.connections == 5)
    }

    @Test func theMediaFetcherReadsAnHTTPSURLFromATrustedServerOnly() async throws {
        let identity = try SelfSignedIdentity(hostname: "localhost")
        let server = try await GraphStub.start(tls: identity.serverConfiguration)
        let url = try #require(URL(string: "https://localhost:\(server.port)/welcome.mp4"))
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([identity.certificate])
        let fetcher = HTTPMediaFetcher(tlsConfiguration: trusting)
        let fetched = try await fetcher.fetch(url, limit: 1 << 20)
        let plain = try #require(URL(string: "http://localhost:\(server.port)/welcome.mp4"))
        #expect(!fetcher.fetches(plain) && HTTPMediaFetcher(allowsPlainHTTP: true).fetches(plain))
        await #expect(throws: HTTPMediaFetcher.FetchError.self, "an http URL was fetched outside the sandbox") {
            _ = try await fetcher.fetch(plain, limit: 1 << 20)
        }
        await #expect(throws: HTTPMediaFetcher.FetchError.self, "a body over the limit was accepted") {
            _ = try await fetcher.fetch(url, limit: 10)
        }
        try await fetcher.shutdown()
        await #expect(throws: HTTPMediaFetcher.FetchError.self, "an untrusted certificate was accepted") {
            _ = try await HTTPMediaFetcher().fetch(url, limit: 1 << 20)
        }
        try await server.stop()
        #expect(String(decoding: fetched.data, as: UTF8.self).contains("wamid.stub"))
        #expect(fetched.contentType == "application/json")
        #expect(server.requests == 2, "the untrusted fetch reached the server")
    }

    @Test func sendsOverTLSToATrustedServerAndRefusesAnUntrustedOne() async throws {
        let identity = try SelfSignedIdentity(hostname: "localhost")
        let server = try await GraphStub.start(tls: identity.serverConfiguration)
        let url = "https://localhost:\(server.port)"
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([identity.certificate])
        let client = try CloudAPIClient(configuration: .init(baseURL: url, accessToken: "t"), tlsConfiguration: trusting)
        let accepted = await client.send(message())
        try await client.shutdown()

        let untrusting = try CloudAPIClient(configuration: .init(baseURL: url, accessToken: "t"))
        let refused = await untrusting.send(message())
        try await untrusting.shutdown()
        try await server.stop()

        guard case .accepted(let wamid) = accepted else {
            Issue.record("expected the send to be accepted over TLS, got \(accepted)")
            return
        }
        #expect(wamid.hasPrefix("wamid."))
        guard case .notDelivered = refused else {
            Issue.record("an untrusted certificate must fail before the request leaves, got \(refused)")
            return
        }
        #expect(server.requests == 1)
    }

    @Test func baseURLsParseIntoOrigins() throws {
        let plain = try #require(HTTP1Origin(baseURL: "http://127.0.0.1:18080"))
        #expect(!plain.useTLS && plain.host == "127.0.0.1" && plain.port == 18080 && plain.pathPrefix.isEmpty)
        let tls = try #require(HTTP1Origin(baseURL: "https://graph.facebook.com/"))
        #expect(tls.useTLS && tls.port == 443 && tls.hostHeader == "graph.facebook.com" && !tls.isIPAddress)
        let prefixed = try #require(HTTP1Origin(baseURL: "http://[::1]:9000/proxy/graph/"))
        #expect(prefixed.host == "::1" && prefixed.port == 9000 && prefixed.pathPrefix == "/proxy/graph")
        #expect(prefixed.hostHeader == "[::1]:9000")
        #expect(HTTP1Origin(baseURL: "ftp://x") == nil)
        #expect(HTTP1Origin(baseURL: "http://:80") == nil)
        #expect(HTTP1Origin(baseURL: "http://host:notaport") == nil)
        #expect(throws: (any Error).self) { try CloudAPIClient(configuration: .init(baseURL: "graph.facebook.com", accessToken: "t")) }
    }
}

/// A self-signed certificate and key for a TLS test server.
struct SelfSignedIdentity {
    let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey

    init(hostname: String) throws {
        let signingKey = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(hostname) }
        let now = Date()
        let x509 = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(signingKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                SubjectAlternativeNames([.dnsName(hostname)])
            },
            issuerPrivateKey: .init(signingKey))
        certificate = try NIOSSLCertificate(bytes: Array(x509.serializeAsPEM().pemString.utf8), format: .pem)
        key = try NIOSSLPrivateKey(bytes: Array(signingKey.pemRepresentation.utf8), format: .pem)
    }

    var serverConfiguration: TLSConfiguration {
        .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
    }
}

/// Answers every request like Meta's messages endpoint, counting connections and requests.
final class GraphStub: Sendable {
    private let channel: any Channel
    private let counts: Counts
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var connections: Int { counts.connections.load(ordering: .relaxed) }
    var requests: Int { counts.requests.load(ordering: .relaxed) }

    final class Counts: Sendable {
        let connections = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
    }

    private init(channel: any Channel, counts: Counts) {
        self.channel = channel
        self.counts = counts
        port = channel.localAddress!.port!
    }

    static func start(closeAfterEachResponse: Bool = false, tls: TLSConfiguration? = nil) async throws -> GraphStub {
        let counts = Counts()
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counts.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(counts: counts, close: closeAfterEachResponse))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return GraphStub(channel: channel, counts: counts)
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let counts: Counts
        let close: Bool

        init(counts: Counts, close: Bool) {
            self.counts = counts
            self.close = close
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let number = counts.requests.add(1, ordering: .relaxed).newValue
            let body = ByteBuffer(string: #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.stub\#(number)"}]}"#)
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
            if close { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if close {
                let context = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.futureResult.whenComplete { _ in context.value.close(promise: nil) }
            }
        }
    }
}
