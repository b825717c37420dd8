{{%AUTOESCAPE context="HTML"}}
{{! One article: highlighted title and body, standfirst, date, topics as filters, source, related articles. }}
<main role="main"><article class="full"><h1>{{TITLE_HTML:none}}</h1>
{{#STANDFIRST}}<p class="standfirst"><strong>{{TEXT}}</strong></p>{{/STANDFIRST}}
{{#META}}<p class="meta">{{#DATE}}<time>{{TEXT}}</time>{{/DATE}}{{#TOPIC}} · <a class="tag" href="{{URL}}">{{TEXT}}</a>{{/TOPIC}}{{#SOURCE}} · <a href="{{URL}}" rel="noopener nofollow">source</a>{{/SOURCE}}</p>{{/META}}
<div class="body">{{#PARAGRAPH}}<p>{{HTML:none}}</p>{{/PARAGRAPH}}</div>
</article>
{{#RELATED}}<section class="related" aria-labelledby="related"><h2 id="related">Related articles</h2><ul class="related">
{{#HIT}}<li><a href="{{URL}}">{{TITLE}}</a>{{#DATE}} <span class="meta">{{TEXT}}</span>{{/DATE}}</li>{{/HIT}}
</ul></section>{{/RELATED}}
</main>
