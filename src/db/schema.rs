//! Table definitions shared by both backends; portable column types only.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        name_en -> Nullable<Text>,
        role -> Text,
        office_code -> Text,
        language -> Text,
        password_hash -> Nullable<Text>,
        token_version -> Integer,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> Text,
        template -> Text,
        to_email -> Text,
        to_name -> Text,
        language -> Text,
        context_json -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(one_time_tokens -> users (user_id));

diesel::table! {
    cohorts (id) {
        id -> Text,
        programme_id -> Text,
        generation -> Integer,
        fiscal_year -> Integer,
        name_th -> Text,
        name_en -> Text,
        starts_on -> Text,
        ends_on -> Text,
        capacity -> Integer,
        trainee_count -> Integer,
        enrol_opens_at -> Nullable<Timestamp>,
        enrol_closes_at -> Nullable<Timestamp>,
        join_code -> Text,
        status -> Text,
        feed_secret -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cohort_members (cohort_id, user_id) {
        cohort_id -> Text,
        user_id -> Text,
        role -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    cohort_sessions (id) {
        id -> Text,
        cohort_id -> Text,
        title_th -> Text,
        title_en -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        venue -> Text,
        meeting_url -> Nullable<Text>,
        mode -> Text,
        checkin_secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attendance (session_id, user_id) {
        session_id -> Text,
        user_id -> Text,
        status -> Text,
        via -> Nullable<Text>,
        minutes -> Nullable<Integer>,
        source -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    zoom_rows (id) {
        id -> Text,
        session_id -> Text,
        name -> Text,
        email -> Text,
        minutes -> Integer,
        matched_user_id -> Nullable<Text>,
        created_at -> Timestamp,
        suggested_user_id -> Nullable<Text>,
    }
}

diesel::joinable!(cohort_members -> cohorts (cohort_id));
diesel::joinable!(cohort_members -> users (user_id));
diesel::joinable!(cohort_sessions -> cohorts (cohort_id));
diesel::joinable!(attendance -> cohort_sessions (session_id));
diesel::joinable!(attendance -> users (user_id));

diesel::table! {
    cohort_leads (cohort_id, user_id) {
        cohort_id -> Text,
        user_id -> Text,
        named_by -> Text,
        named_at -> Timestamp,
    }
}

diesel::table! {
    cohort_staff_history (cohort_id, user_id, started_at) {
        cohort_id -> Text,
        user_id -> Text,
        role -> Text,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    module_revisions (id) {
        id -> Text,
        slug -> Text,
        content_hash -> Text,
        position -> Integer,
        minutes -> Integer,
        prerequisites_json -> Text,
        title_th -> Text,
        title_en -> Text,
        markdown_th -> Text,
        markdown_en -> Text,
        html_th -> Text,
        html_en -> Text,
        source -> Text,
        author_id -> Nullable<Text>,
        created_at -> Timestamp,
        status -> Text,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    quiz_revisions (id) {
        id -> Text,
        slug -> Text,
        content_hash -> Text,
        definition_json -> Text,
        created_at -> Timestamp,
        cohort_id -> Nullable<Text>,
    }
}

diesel::table! {
    publications (cohort_id, kind, slug) {
        cohort_id -> Text,
        kind -> Text,
        slug -> Text,
        revision_id -> Text,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        published_by -> Nullable<Text>,
        published_at -> Timestamp,
    }
}

diesel::table! {
    module_progress (cohort_id, user_id, slug) {
        cohort_id -> Text,
        user_id -> Text,
        slug -> Text,
        revision_id -> Text,
        completed_at -> Timestamp,
    }
}

diesel::table! {
    quiz_overrides (cohort_id, quiz_slug, user_id) {
        cohort_id -> Text,
        quiz_slug -> Text,
        user_id -> Text,
        extra_seconds -> Integer,
        extra_attempts -> Integer,
    }
}

diesel::table! {
    attempts (id) {
        id -> Text,
        cohort_id -> Text,
        quiz_slug -> Text,
        quiz_revision_id -> Text,
        user_id -> Text,
        attempt_no -> Integer,
        state -> Text,
        layout_json -> Text,
        started_at -> Timestamp,
        deadline -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        score -> Nullable<Double>,
        max_score -> Nullable<Double>,
        percent -> Nullable<Double>,
        passed -> Nullable<Bool>,
        grading_count -> Integer,
        marking -> Nullable<Text>,
    }
}

diesel::table! {
    essay_marks (id) {
        id -> Text,
        attempt_id -> Text,
        question_id -> Text,
        marker_id -> Text,
        stage -> Text,
        levels_json -> Text,
        points -> Double,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cohort_report_texts (cohort_id) {
        cohort_id -> Text,
        background -> Text,
        objectives -> Text,
        problems -> Text,
        suggestions -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    completions (id) {
        id -> Text,
        number -> Text,
        user_id -> Text,
        cohort_id -> Text,
        minutes -> Integer,
        issued_at -> Timestamp,
        issued_by -> Nullable<Text>,
        signatory_name -> Text,
        signatory_position -> Text,
        kid -> Text,
        credential_jwt -> Text,
    }
}

diesel::table! {
    cohort_signatories (cohort_id) {
        cohort_id -> Text,
        name_th -> Text,
        name_en -> Text,
        position_th -> Text,
        position_en -> Text,
        signature_png -> Nullable<Text>,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (id) {
        id -> Text,
        cohort_id -> Text,
        survey_slug -> Text,
        answers_json -> Text,
    }
}

diesel::table! {
    survey_respondents (cohort_id, survey_slug, user_id) {
        cohort_id -> Text,
        survey_slug -> Text,
        user_id -> Text,
        responded_on -> Text,
    }
}

diesel::table! {
    observed_assessments (id) {
        id -> Text,
        cohort_id -> Text,
        user_id -> Text,
        scope -> Text,
        observed_on -> Text,
        business -> Text,
        competences_json -> Text,
        outcome -> Text,
        observer_id -> Text,
        notes -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    attempt_answers (attempt_id, question_id) {
        attempt_id -> Text,
        question_id -> Text,
        answer_json -> Text,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        private_pem -> Text,
        public_jwk -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    credential_counters (series) {
        series -> Text,
        last_number -> Integer,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        number -> Text,
        user_id -> Text,
        cohort_id -> Text,
        programme_id -> Text,
        scheme_version -> Integer,
        scope -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        status_changed_at -> Nullable<Timestamp>,
        status_index -> Integer,
        issued_at -> Timestamp,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        kid -> Text,
        credential_jwt -> Text,
        override_reason -> Nullable<Text>,
        renews_id -> Nullable<Text>,
        issued_by -> Nullable<Text>,
        reminder_sent_at -> Nullable<Timestamp>,
        status_detail -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        details_json -> Text,
    }
}

diesel::joinable!(credentials -> users (user_id));
diesel::joinable!(credentials -> cohorts (cohort_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    secrets,
    login_throttle,
    one_time_tokens,
    outbox_emails,
    cohorts,
    cohort_members,
    cohort_leads,
    cohort_sessions,
    attendance,
    zoom_rows,
    module_revisions,
    cohort_staff_history,
    quiz_revisions,
    publications,
    module_progress,
    quiz_overrides,
    attempts,
    attempt_answers,
    essay_marks,
    observed_assessments,
    survey_responses,
    survey_respondents,
    cohort_report_texts,
    completions,
    cohort_signatories,
    signing_keys,
    credential_counters,
    credentials,
    audit_log,
);

diesel::table! {
    scheme_versions (programme_id, version) {
        programme_id -> Text,
        version -> Integer,
        content_hash -> Text,
        definition_json -> Text,
        first_loaded_at -> Timestamp,
    }
}

diesel::table! {
    certification_decisions (id) {
        id -> Text,
        cohort_id -> Text,
        user_id -> Text,
        scope -> Text,
        recommended_by -> Text,
        recommendation -> Text,
        recommended_at -> Timestamp,
        decided_by -> Nullable<Text>,
        outcome -> Nullable<Text>,
        rationale -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        credential_id -> Nullable<Text>,
    }
}

diesel::table! {
    coi_declarations (id) {
        id -> Text,
        declared_by -> Text,
        cohort_id -> Text,
        subject_user_id -> Text,
        statement -> Text,
        declared_at -> Timestamp,
    }
}

diesel::table! {
    appeals (id) {
        id -> Text,
        user_id -> Text,
        cohort_id -> Text,
        subject_type -> Text,
        subject_id -> Text,
        grounds -> Text,
        filed_at -> Timestamp,
        respond_by -> Timestamp,
        status -> Text,
        reviewer_id -> Nullable<Text>,
        outcome -> Nullable<Text>,
        rationale -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}
