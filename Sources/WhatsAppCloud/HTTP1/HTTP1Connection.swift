import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of an `HTTP1ConnectionPool`, running one exchange at a time.
///
/// Every stored property is touched only on the channel's event loop; `run` may be called from any thread.
final class HTTP1Connection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// Strong: the pool drops its connections when they close, which ends the cycle.
    private let pool: HTTP1ConnectionPool
    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var current: HTTP1Exchange?
    private var written = false
    private var status = 0
    private var keepAlive = true
    private var body = ByteBuffer()
    private var timeout: Scheduled<Void>?
    private var lastUsed = NIODeadline.now()
    private var idleCheck: RepeatedTask?

    init(pool: HTTP1ConnectionPool, eventLoop: any EventLoop) {
        self.pool = pool
        self.eventLoop = eventLoop
    }

    /// Starts `exchange` on this connection; if the connection died meanwhile it goes back to the pool.
    func run(_ exchange: HTTP1Exchange) {
        if eventLoop.inEventLoop {
            start(exchange)
        } else {
            eventLoop.execute { self.start(exchange) }
        }
    }

    /// Closes the connection (a running exchange ends as unknown).
    func close() {
        eventLoop.execute { self.context?.close(promise: nil) }
    }

    private func start(_ exchange: HTTP1Exchange) {
        guard let context, current == nil else {
            pool.submit(exchange)
            return
        }
        current = exchange
        written = false
        status = 0
        keepAlive = true
        let request = exchange.request
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: pool.origin.pathPrefix + request.path)
        head.headers.reserveCapacity(request.headers.count + 2)
        head.headers.add(name: "Host", value: pool.origin.hostHeader)
        head.headers.add(contentsOf: request.headers)
        head.headers.add(name: "Content-Length", value: String(request.body.readableBytes))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { result in
            guard self.current === exchange else { return }
            switch result {
            case .success: self.written = true
            case .failure(let error): self.finish(.notSent("writing the request failed: \(error)"), reuse: false)
            }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
        timeout = context.eventLoop.scheduleTask(in: pool.requestTimeout) { [weak self] in
            guard let self, self.current === exchange else { return }
            self.finish(.unknown("no response within \(self.pool.requestTimeout)"), reuse: false)
        }
    }

    /// Completes the current exchange, then hands the connection back to the pool or closes it.
    private func finish(_ result: HTTP1Result, reuse: Bool) {
        guard let exchange = current else { return }
        current = nil
        timeout?.cancel()
        timeout = nil
        body.clear()
        exchange.complete(result)
        if reuse, context != nil {
            lastUsed = .now()
            pool.release(self)
        } else {
            context?.close(promise: nil)
        }
    }

    /// Closes the connection once it has been idle for the pool's idle timeout.
    private func closeIfIdle() {
        guard current == nil, NIODeadline.now() - lastUsed >= pool.idleTimeout, pool.retire(self) else { return }
        context?.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        let period = TimeAmount.nanoseconds(max(pool.idleTimeout.nanoseconds / 4, 1_000_000))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [weak self] _ in
            self?.closeIfIdle()
        }
        pool.connected(self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard current != nil else {
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body(var part):
            let room = HTTP1ConnectionPool.maxResponseBytes - body.readableBytes
            if part.readableBytes > room { part.moveWriterIndex(to: part.readerIndex + max(room, 0)) }
            body.writeBuffer(&part)
        case .end:
            finish(.response(status: status, body: body), reuse: keepAlive)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if current != nil {
            finish(written ? .unknown("connection failed mid-exchange: \(error)") : .notSent("connection failed: \(error)"), reuse: false)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        idleCheck?.cancel()
        idleCheck = nil
        if current != nil {
            finish(
                written ? .unknown("the connection closed before the response was complete") : .notSent("the connection closed"),
                reuse: false)
        }
        pool.closed(self)
    }
}
