package sharnn.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A JSON parser's error in a user's words: Jackson's message carries its own internals ("[Source: REDACTED
 * (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)...]", "enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS`
 * to allow", "from `StreamReadConstraints.getMaxNumberLength()`"), advice that a user cannot act on.
 */
public final class JsonErrors {
    private JsonErrors() {}

    /** What is wrong, with the line and column where the parser knows them: "line 2, column 1: Unexpected end-of-input". */
    public static String reason(Exception e) {
        String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        String why = (message == null ? e.getClass().getSimpleName() : message).lines().findFirst().orElse("")
                .replaceAll("\\s*\\(start marker at \\[Source: .*", "")
                .replaceAll(": enable `[^`]*` to allow.*", "")
                .replaceAll("\\s*\\(from `[^`]*`\\)", "")
                .strip();
        JsonLocation at = e instanceof JsonProcessingException j ? j.getLocation() : null;
        return at == null || at.getLineNr() < 1 ? why : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + why;
    }
}
