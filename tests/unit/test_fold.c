/* Folding names for the patient search and the duplicate check: case and accents, the token
 * splitter's rules for punctuation and apostrophes, scripts other than Latin, the bounded edit
 * distance and the prefix range's upper end. */
#include <string.h>

#include "fold.h"
#include "test.h"

/* Folds `s` and returns its tokens joined by '|' in a static buffer. */
static const char *tokens_of(const char *s)
{
    static char out[1024];
    cl_fold_token_t tokens[16];
    size_t n = cl_fold_tokens(s, strlen(s), tokens, 16);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, "|");
        strcat(out, tokens[i]);
    }
    return out;
}

CL_TEST(case_and_accents_fold_to_ascii)
{
    ASSERT_STR_EQ(tokens_of("José"), "jose");
    ASSERT_STR_EQ(tokens_of("JOSÉ"), "jose");
    ASSERT_STR_EQ(tokens_of("Núñez"), "nunez");
    ASSERT_STR_EQ(tokens_of("MÜLLER"), "muller");
    ASSERT_STR_EQ(tokens_of("Straße"), "strasse");
    ASSERT_STR_EQ(tokens_of("Ærøskøbing"), "aeroskobing");
    ASSERT_STR_EQ(tokens_of("Łukasz Wałęsa"), "lukasz|walesa");
    ASSERT_STR_EQ(tokens_of("Ștefan Țurcanu"), "stefan|turcanu");
    ASSERT_STR_EQ(tokens_of("Œdipe"), "oedipe");
    /* The ends of the table: ÿ, ž and the long s. */
    ASSERT_STR_EQ(tokens_of("ÿž\xc5\xbf"), "yzs");
    /* Decomposed text: the combining acute accent goes. */
    ASSERT_STR_EQ(tokens_of("Jose\xcc\x81"), "jose");
}

CL_TEST(punctuation_splits_and_apostrophes_join)
{
    ASSERT_STR_EQ(tokens_of("Smith-Jones"), "smith|jones");
    ASSERT_STR_EQ(tokens_of("  Mary   Ann  "), "mary|ann");
    ASSERT_STR_EQ(tokens_of("O'Brien"), "obrien");
    ASSERT_STR_EQ(tokens_of("O\xe2\x80\x99"
                            "Brien"),
                  "obrien"); /* U+2019 */
    ASSERT_STR_EQ(tokens_of("St. John, Jr."), "st|john|jr");
    ASSERT_STR_EQ(tokens_of("Lee\xc2\xa0Kim"), "lee|kim"); /* no-break space */
    ASSERT_STR_EQ(tokens_of("3rd"), "3rd");
    ASSERT_STR_EQ(tokens_of("--- ..."), "");
    ASSERT_STR_EQ(tokens_of(""), "");
}

CL_TEST(other_scripts_lower_case_or_pass_through)
{
    ASSERT_STR_EQ(tokens_of("ИВАН Петров"), "иван|петров");
    ASSERT_STR_EQ(tokens_of("ЁЛКИН"), "ёлкин");
    ASSERT_STR_EQ(tokens_of("ΣΟΦΙΑ"), "σοφια");
    ASSERT_STR_EQ(tokens_of("王 小明"), "王|小明");
}

CL_TEST(tokens_are_cut_and_counted_within_bounds)
{
    char long_name[400];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    cl_fold_token_t tokens[2];
    ASSERT_EQ(cl_fold_tokens(long_name, strlen(long_name), tokens, 2), 1);
    ASSERT_EQ(strlen(tokens[0]), CL_FOLD_TOKEN_MAX - 1);
    /* A two-byte letter never lands half inside the cut. */
    char wide[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(wide, "\xd0\x96"); /* Ж */
    ASSERT_EQ(cl_fold_tokens(wide, strlen(wide), tokens, 2), 1);
    ASSERT_EQ(strlen(tokens[0]) % 2, 0);
    ASSERT_EQ(cl_fold_tokens("a b c d", 7, tokens, 2), 2);
    ASSERT_STR_EQ(tokens[1], "b");
}

CL_TEST(fold_name_joins_tokens_with_one_space)
{
    char out[64];
    ASSERT_EQ(cl_fold_name("Smith-Jones", out, sizeof(out)), 11);
    ASSERT_STR_EQ(out, "smith jones");
    cl_fold_name("  José  María ", out, sizeof(out));
    ASSERT_STR_EQ(out, "jose maria");
    cl_fold_name("Smith Jones", out, 8);
    ASSERT_STR_EQ(out, "smith");
}

CL_TEST(distance_is_bounded_levenshtein)
{
    ASSERT_EQ(cl_fold_distance("smith", "smith", 2), 0);
    ASSERT_EQ(cl_fold_distance("smith", "smyth", 2), 1);
    ASSERT_EQ(cl_fold_distance("smith", "smit", 2), 1);
    ASSERT_EQ(cl_fold_distance("jon", "john", 2), 1);
    ASSERT_EQ(cl_fold_distance("kitten", "sitting", 3), 3);
    ASSERT_EQ(cl_fold_distance("kitten", "sitting", 2), 3); /* over the bound: max + 1 */
    ASSERT_EQ(cl_fold_distance("a", "abcd", 2), 3);
    ASSERT_EQ(cl_fold_distance("", "ab", 2), 2);
}

CL_TEST(prefix_end_bounds_a_range)
{
    char hi[16];
    ASSERT_OK(cl_fold_prefix_end("n:smi", hi));
    ASSERT_STR_EQ(hi, "n:smj");
    ASSERT_OK(cl_fold_prefix_end("p:5559", hi));
    ASSERT_STR_EQ(hi, "p:555:");
    ASSERT_OK(cl_fold_prefix_end("a\xff", hi));
    ASSERT_STR_EQ(hi, "b");
    ASSERT_EQ(cl_fold_prefix_end("", hi), -1);
    ASSERT_EQ(cl_fold_prefix_end("\xff\xff", hi), -1);
}

CL_TEST_MAIN(CL_TEST_ENTRY(case_and_accents_fold_to_ascii),
             CL_TEST_ENTRY(punctuation_splits_and_apostrophes_join),
             CL_TEST_ENTRY(other_scripts_lower_case_or_pass_through),
             CL_TEST_ENTRY(tokens_are_cut_and_counted_within_bounds),
             CL_TEST_ENTRY(fold_name_joins_tokens_with_one_space),
             CL_TEST_ENTRY(distance_is_bounded_levenshtein),
             CL_TEST_ENTRY(prefix_end_bounds_a_range))
