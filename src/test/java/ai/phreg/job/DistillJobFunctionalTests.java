package ai.phreg.job;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The job scenarios on the default embedded H2 file database. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class DistillJobFunctionalTests extends JobRepositoryScenarios {

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		storage(registry);
	}

}
