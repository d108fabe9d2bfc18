package ai.phreg.api;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.Set;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.ProblemDetail;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards the requests that change something ({@code POST}, {@code PUT}, {@code PATCH},
 * {@code DELETE}) with a shared API key in the {@code X-API-Key} header. Reading is open
 * to anyone who can reach the server: job views and artifacts are not secret, and
 * following a job from a browser's {@code EventSource} cannot send headers. A request of
 * any kind that holds the key is authenticated: it has a principal, which is what the
 * actuator asks for before it shows health details
 * ({@code management.endpoint.health.show-details=when-authorized}).
 * <p>
 * Without a configured key, changes are allowed only when the server listens on a
 * loopback address, where every client is local; an unset {@code server.address} means
 * every interface and so does not count.
 */
class ApiKeyFilter extends OncePerRequestFilter {

	static final String HEADER = "X-API-Key";

	private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

	private final byte[] apiKey;

	private final boolean loopbackOnly;

	private final JsonMapper json;

	/**
	 * @param apiKey the expected key, null for none
	 * @param serverAddress the {@code server.address} the server binds to, null or empty
	 * for every interface
	 * @param json writes the problems of refused requests
	 */
	ApiKeyFilter(String apiKey, String serverAddress, JsonMapper json) {
		this.apiKey = (apiKey != null) ? apiKey.getBytes(StandardCharsets.UTF_8) : null;
		this.loopbackOnly = isLoopback(serverAddress);
		this.json = json;
	}

	private static boolean isLoopback(String address) {
		if (address == null || address.isBlank()) {
			return false;
		}
		try {
			return InetAddress.getByName(address.strip()).isLoopbackAddress();
		}
		catch (UnknownHostException ex) {
			return false;
		}
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String given = request.getHeader(HEADER);
		if (holdsKey(given)) {
			chain.doFilter(new KeyHolderRequest(request), response);
			return;
		}
		if (!MUTATING.contains(request.getMethod())) {
			chain.doFilter(request, response);
			return;
		}
		if (this.apiKey == null) {
			if (this.loopbackOnly) {
				chain.doFilter(request, response);
				return;
			}
			refuse(request, response,
					Problem.API_KEY_NOT_CONFIGURED.detail("This server has no API key and listens beyond "
							+ "localhost, so it accepts no changes. Set the environment variable PHREG_API_KEY (or the "
							+ "property phreg.api-key) and send it in the " + HEADER + " header, or bind the server to "
							+ "127.0.0.1 with server.address."));
			return;
		}
		response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "ApiKey header=\"" + HEADER + "\"");
		refuse(request, response,
				Problem.API_KEY.detail((given == null) ? "Send the API key in the " + HEADER + " header."
						: "The " + HEADER + " header does not hold the API key."));
	}

	private boolean holdsKey(String given) {
		// Constant-time: how long a refusal takes says nothing about the guess.
		return this.apiKey != null && given != null
				&& MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), this.apiKey);
	}

	private void refuse(HttpServletRequest request, HttpServletResponse response, ProblemDetail problem)
			throws IOException {
		ProblemResponses.write(request, response, problem, this.json);
	}

	/** A request that sent the API key. */
	private static final class KeyHolderRequest extends HttpServletRequestWrapper {

		private static final Principal KEY_HOLDER = () -> "api-key";

		KeyHolderRequest(HttpServletRequest request) {
			super(request);
		}

		@Override
		public Principal getUserPrincipal() {
			return KEY_HOLDER;
		}

		@Override
		public String getRemoteUser() {
			return KEY_HOLDER.getName();
		}

	}

}
