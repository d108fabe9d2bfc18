package ai.phreg.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.ProblemDetail;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code phreg.max-request-body} with 413: at once when the
 * declared {@code Content-Length} is too large, and otherwise (a chunked body) as soon as
 * reading passes the limit, so that no body is ever held in memory whole. A job spec is a
 * few hundred bytes; nothing this API accepts comes close to the limit.
 */
class RequestBodyLimitFilter extends OncePerRequestFilter {

	private final DataSize limit;

	private final JsonMapper json;

	RequestBodyLimitFilter(DataSize limit, JsonMapper json) {
		this.limit = limit;
		this.json = json;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if (request.getContentLengthLong() > this.limit.toBytes()) {
			ProblemResponses.write(request, response, tooLarge(this.limit), this.json);
			return;
		}
		chain.doFilter(new LimitedRequest(request, this.limit), response);
	}

	static ProblemDetail tooLarge(DataSize limit) {
		return Problem.BODY_TOO_LARGE.detail("The request body is larger than this server accepts (" + describe(limit)
				+ ", set by phreg.max-request-body). Send the job spec alone: it needs a few hundred bytes.");
	}

	private static String describe(DataSize size) {
		if (size.toBytes() % DataSize.ofMegabytes(1).toBytes() == 0) {
			return size.toMegabytes() + " MB";
		}
		if (size.toBytes() % DataSize.ofKilobytes(1).toBytes() == 0) {
			return size.toKilobytes() + " KB";
		}
		return size.toBytes() + " bytes";
	}

	/** A body that reads past the limit. */
	static class BodyTooLargeException extends IOException {

		private final DataSize limit;

		BodyTooLargeException(DataSize limit) {
			super("request body over " + describe(limit));
			this.limit = limit;
		}

		DataSize limit() {
			return this.limit;
		}

	}

	private static final class LimitedRequest extends HttpServletRequestWrapper {

		private final LimitedInputStream body;

		LimitedRequest(HttpServletRequest request, DataSize limit) throws IOException {
			super(request);
			this.body = new LimitedInputStream(request.getInputStream(), limit);
		}

		@Override
		public ServletInputStream getInputStream() {
			return this.body;
		}

		@Override
		public BufferedReader getReader() {
			Charset charset = (getCharacterEncoding() != null) ? Charset.forName(getCharacterEncoding())
					: StandardCharsets.UTF_8;
			return new BufferedReader(new InputStreamReader(this.body, charset));
		}

	}

	private static final class LimitedInputStream extends ServletInputStream {

		private final ServletInputStream in;

		private final DataSize limit;

		private long read;

		LimitedInputStream(ServletInputStream in, DataSize limit) {
			this.in = in;
			this.limit = limit;
		}

		@Override
		public int read() throws IOException {
			int b = this.in.read();
			count((b < 0) ? 0 : 1);
			return b;
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			int n = this.in.read(buffer, offset, length);
			count(Math.max(n, 0));
			return n;
		}

		private void count(int bytes) throws BodyTooLargeException {
			this.read += bytes;
			if (this.read > this.limit.toBytes()) {
				throw new BodyTooLargeException(this.limit);
			}
		}

		@Override
		public boolean isFinished() {
			return this.in.isFinished();
		}

		@Override
		public boolean isReady() {
			return this.in.isReady();
		}

		@Override
		public void setReadListener(ReadListener listener) {
			this.in.setReadListener(listener);
		}

	}

}
