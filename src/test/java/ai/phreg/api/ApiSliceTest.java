package ai.phreg.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;

/**
 * A web slice of the API with its filter and JSON settings, and {@link #API_KEY} as the
 * configured key. Test classes add a {@code @MockitoBean JobService}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@WebMvcTest(properties = "phreg.api-key=" + ApiSliceTest.API_KEY)
@Import(ApiConfiguration.class)
@interface ApiSliceTest {

	String API_KEY = "slice-test-api-key";

}
