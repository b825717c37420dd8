{{%AUTOESCAPE context="HTML"}}
{{! A page of results: count, sort, notices, hits, page links, and the facets to refine by. }}
<main role="main" class="with-facets"><div class="results">
<h1 class="visually-hidden">Results for {{QUERY}}</h1>
<p class="meta" role="status">{{COUNT_TEXT}} ({{TOOK}} ms)</p>
<nav class="sort" aria-label="Sort">Sort: {{#SORT}}{{#CURRENT}}<strong aria-current="true">{{LABEL}}</strong> {{/CURRENT}}{{#OTHER}}<a href="{{URL}}">{{LABEL}}</a> {{/OTHER}}{{/SORT}}</nav>
{{#PARTIAL}}<p class="notice partial" role="alert">Some of the archive could not be searched just now ({{MISSING}}): these results may be incomplete.</p>{{/PARTIAL}}
{{#NOTICE}}<p class="notice" role="note">Your query could not be read as written ({{REASON}}). Showing articles with the words <strong>{{WORDS}}</strong>.</p>{{/NOTICE}}
{{#SUGGESTION}}<p class="suggestion">Did you mean <a href="{{URL}}">{{TEXT}}</a>?</p>{{/SUGGESTION}}
{{#NONE}}<p>No articles match <strong>{{QUERY}}</strong>. Try fewer or different words, or <a href="{{ANY_URL}}">match any word</a>.</p>{{/NONE}}
{{#HITS}}<ol class="hits" start="{{START}}">
{{#HIT}}<li><article><h2><a href="{{URL}}">{{TITLE_HTML:none}}</a></h2>
{{#META}}<p class="meta">{{#DATE}}<time>{{TEXT}}</time>{{/DATE}}{{#TOPIC}} · <a class="tag" href="{{URL}}">{{TEXT}}</a>{{/TOPIC}}</p>{{/META}}
{{#SNIPPET}}<p class="snippet">{{HTML:none}}</p>{{/SNIPPET}}</article></li>
{{/HIT}}</ol>{{/HITS}}
{{#PAGES}}<nav class="pages" aria-label="Pages">{{#PREV}}<a rel="prev" href="{{URL}}">← Previous</a>{{/PREV}}
{{#PAGE}}{{#GAP}}<span>…</span>{{/GAP}}{{#CURRENT}}<strong aria-current="page">{{N}}</strong>{{/CURRENT}}{{#LINK}}<a href="{{URL}}">{{N}}</a>{{/LINK}}{{/PAGE}}
{{#NEXT}}<a rel="next" href="{{URL}}">Next →</a>{{/NEXT}}</nav>{{/PAGES}}
</div>
{{#FACETS}}<aside class="facets" aria-label="Refine results">
{{#FACET}}<section class="facet-{{NAME}}"><h2>{{HEADING}}</h2><ul>
{{#ACTIVE}}<li><a class="active" href="{{URL}}" aria-label="Remove filter {{TEXT}}">✕ {{TEXT}}</a></li>{{/ACTIVE}}
{{#VALUE}}<li><a href="{{URL}}">{{TEXT}}</a> <span class="count">{{COUNT}}</span></li>{{/VALUE}}
</ul>
{{#DECADE}}<details><summary>{{LABEL}} <span class="count">{{COUNT}}</span></summary><ul>
{{#VALUE}}<li><a href="{{URL}}">{{TEXT}}</a> <span class="count">{{COUNT}}</span></li>{{/VALUE}}
</ul></details>{{/DECADE}}
</section>{{/FACET}}
</aside>{{/FACETS}}
</main>
